import Calo
import Foundation

/// The events of one trial as two .npz files, for a trainer of the user's own
/// (`lipsweep data`; python/lipsweep_worker's `Trial.data()`): exactly the events and split of
/// `TrialData.load`, so the embedded trainer and a user's trainer see the same data.
///
///     DIR/train.npz   EnergyDeposit (N,30,30) GeV, ParticleMomentum (N,3), ParticlePoint (N,2),
///                     Conditions (N,5): (px, py, pz, x0, y0) standardised with the training
///                     set's mean and sd (docs/science.md §2.2), Asymmetries (N,2): the raw
///                     events' (asym_along, asym_across), the regressor's targets
///     DIR/test.npz    the held-out events (the ones every epoch is scored against), with
///                     Conditions standardised with the training statistics: G's inputs
///
/// All arrays float32. Each file is written durably (DurableFile), test.npz last: a reader
/// that finds both has complete data.
public enum TrialEventFiles {
    public static let trainFile = "train.npz", testFile = "test.npz"
    public static let conditionsKey = "Conditions", asymmetriesKey = "Asymmetries"

    /// Writes both files into `directory` (created if missing); returns the event counts.
    @discardableResult
    public static func write(_ settings: TrialSettings, to directory: URL, threads: Int = 1) throws -> (train: Int, test: Int) {
        let (train, test) = try TrialData.events(settings, threads: threads)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let statistics = ConditionStatistics(fitting: train)
        let zOffset = Float(settings.dataset.zOffset)
        try CaloNPZ.writeArrays(arrays(train) + [
            (conditionsKey, NPYArray(shape: [train.count, 5], values: statistics.standardisedConditions(train))),
            (asymmetriesKey, NPYArray(shape: [train.count, 2], values: PhysicsFeatures.asymmetries(train, zOffset: zOffset))),
        ], to: directory.appendingPathComponent(trainFile))
        try CaloNPZ.writeArrays(arrays(test) + [
            (conditionsKey, NPYArray(shape: [test.count, 5], values: statistics.standardisedConditions(test))),
        ], to: directory.appendingPathComponent(testFile))
        return (train.count, test.count)
    }

    /// The trial's data from files `write` made: the same `TrialData` as `TrialData.load`.
    public static func read(from directory: URL, zOffset: Float) throws(CaloFileError) -> TrialData {
        let train = try CaloNPZ.read(directory.appendingPathComponent(trainFile))
        let test = try CaloNPZ.read(directory.appendingPathComponent(testFile))
        return TrialData.make(train: train, test: test, zOffset: zOffset)
    }

    private static func arrays(_ events: CaloEvents) -> [(String, NPYArray)] {
        let n = events.count
        return [(CaloNPZ.energyKey, NPYArray(shape: [n, CaloGrid.side, CaloGrid.side], values: events.energy)),
                (CaloNPZ.momentumKey, NPYArray(shape: [n, 3], values: events.momentum)),
                (CaloNPZ.pointKey, NPYArray(shape: [n, 2], values: events.point))]
    }
}
