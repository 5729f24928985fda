/// An error caused by what the user gave (a file, a value, an option, a spec): the CLI prints
/// its description alone — which must name the file, the place and the fix — and exits with
/// code 2. Any other error is a runtime failure and exits with code 1.
public protocol UserInputError: Error, CustomStringConvertible {}

/// A plain user-input error carrying its full message.
public struct InvalidInput: UserInputError, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
