/// The data format (events, `.npz` reading and writing, file errors) lives in CaloFormat, a
/// target without the numeric core, so the orchestrator can check a data file at `plan` time
/// without importing the trainer's libraries. Calo re-exports it: to Calo's users the events
/// and their file format are one library.
@_exported import CaloFormat
