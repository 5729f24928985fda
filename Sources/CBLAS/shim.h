// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). cblas.h also declares
// openblas_set_num_threads / openblas_get_num_threads, used to pin threads per worker.
#include <cblas.h>
