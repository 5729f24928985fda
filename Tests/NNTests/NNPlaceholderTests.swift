import Testing
import NN
