import Testing
import Metrics
