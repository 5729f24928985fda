import Foundation
import Synchronization

private let receivedSignal = Atomic<Int32>(0)

/// SIGINT/SIGTERM ask the scheduler to stop cleanly: it stops its workers, puts their trials
/// back to pending and returns. A second signal while stopping is ignored (the stop is
/// already bounded by a timeout).
public enum StopSignals {
    public static func install() {
        // A parent may have started us with these signals blocked (the mask survives exec):
        // unblock them, or a stop request would never arrive.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { received in receivedSignal.store(received, ordering: .relaxed) }
        }
    }

    /// The signal received, or nil.
    public static var received: Int32? {
        let value = receivedSignal.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }
}
