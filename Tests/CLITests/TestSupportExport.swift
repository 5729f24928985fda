// Every CLI test runs the built binary through TestSupport's Binary, Child and Repo.
@_exported import TestSupport
