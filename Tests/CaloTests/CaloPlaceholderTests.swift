import Testing
import Calo
