import Calo
import Foundation
import Tensor
import UserErrors

/// The events of one trial (docs/science.md §2): the training set as the GAN sees it (§2.2), the raw
/// held-out test events for evaluation (§6) and the condition statistics of the training set.
public struct TrialData: Sendable {
    public let training: TrainingSet
    public let test: CaloEvents
    public let statistics: ConditionStatistics

    /// Simulated: `train + test` events of the simulator with `dataset.seed`, the first
    /// `train` for training. npz: the file's events in an order shuffled with `dataset.seed`,
    /// the first `train` for training and the next `test` held out.
    public static func load(_ settings: TrialSettings, threads: Int = 1) throws -> TrialData {
        let (train, test) = try events(settings, threads: threads)
        return make(train: train, test: test, zOffset: Float(settings.dataset.zOffset))
    }

    /// The raw training and test events of `load`, before preprocessing (`lipsweep data`).
    public static func events(_ settings: TrialSettings, threads: Int = 1) throws -> (train: CaloEvents, test: CaloEvents) {
        let d = settings.dataset, total = d.train + d.test
        let events: CaloEvents
        switch d.source {
        case .simulated:
            events = ShowerSimulator.simulate(count: total, seed: d.seed, threads: threads)
        case .npz:
            let path = d.path ?? ""
            let all = try CaloNPZ.read(URL(fileURLWithPath: path))
            guard all.count >= total else {
                throw InvalidInput("\(path): holds \(all.count) events, but dataset.train + dataset.test = \(total); "
                                   + "lower --train-events/--test-events (dataset.train/test) to at most \(all.count) together")
            }
            var rng = SeededRandom(seed: d.seed, stream: 0xDA7A)
            events = gather(all, rng.permutation(all.count).prefix(total))
        }
        return (events.slice(0..<d.train), events.slice(d.train..<total))
    }

    /// Preprocessing of docs/science.md §2.2: log(1 + E), conditions standardised with the training
    /// set's statistics, regressor targets = the raw training events' asymmetries.
    public static func make(train: CaloEvents, test: CaloEvents, zOffset: Float) -> TrialData {
        let statistics = ConditionStatistics(fitting: train)
        let set = TrainingSet(images: Preprocessing.logTransform(train),
                              conditions: statistics.standardisedConditions(train),
                              asymmetries: PhysicsFeatures.asymmetries(train, zOffset: zOffset))
        return TrialData(training: set, test: test, statistics: statistics)
    }

    public init(training: TrainingSet, test: CaloEvents, statistics: ConditionStatistics) {
        self.training = training; self.test = test; self.statistics = statistics
    }

    /// The events at `indices`, in that order.
    static func gather<S: Sequence>(_ events: CaloEvents, _ indices: S) -> CaloEvents where S.Element == Int {
        var energy: [Float] = [], momentum: [Float] = [], point: [Float] = []
        for e in indices {
            energy += events.energy[(e * 900)..<((e + 1) * 900)]
            momentum += events.momentum[(e * 3)..<((e + 1) * 3)]
            point += events.point[(e * 2)..<((e + 1) * 2)]
        }
        return CaloEvents(energy: energy, momentum: momentum, point: point)
    }
}
