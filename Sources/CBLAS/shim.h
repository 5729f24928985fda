// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). cblas.h also declares
// openblas_set_num_threads / openblas_get_num_threads, used to pin threads per worker.
#include <cblas.h>
#include <stddef.h>

// LAPACK, which libopenblas also exports (Fortran symbols). Debian's libopenblas-dev ships no
// lapack.h / lapacke.h, so the few routines used are declared here with the Fortran calling
// convention: every argument by reference, matrices column-major, and one hidden `size_t`
// length after the last argument per CHARACTER argument (gfortran's ABI). `blasint` is
// cblas.h's integer (32-bit in Debian's build).

// Cholesky factorisation with complete pivoting of a symmetric positive SEMI-definite matrix:
// Pᵀ·A·P = L·Lᵀ (uplo "L"), stopping at the numerical rank (pivot ≤ tol; tol < 0: n·ε·max Aₖₖ).
// piv (1-based) gives P, rank the columns of L computed; work holds 2n doubles. info = 1 only
// says the matrix is rank-deficient.
void dpstrf_(const char *uplo, const blasint *n, double *a, const blasint *lda, blasint *piv,
             blasint *rank, const double *tol, double *work, blasint *info, size_t uplo_len);

// Eigenvalues (jobz "N") or eigenvalues and eigenvectors (jobz "V", into a) of a symmetric
// matrix, ascending in w, by divide and conquer. lwork = liwork = -1 queries the workspace.
void dsyevd_(const char *jobz, const char *uplo, const blasint *n, double *a, const blasint *lda,
             double *w, double *work, const blasint *lwork, blasint *iwork, const blasint *liwork,
             blasint *info, size_t jobz_len, size_t uplo_len);
