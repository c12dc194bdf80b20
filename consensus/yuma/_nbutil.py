"""Small numba helpers for input conversion / validation (O(nnz), no fixed-point maths)."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def dense_to_csr(mat):
    """Non-zero entries of a 2-D integer matrix as CSR (row-major order)."""
    rows, cols = mat.shape
    indptr = np.zeros(rows + 1, np.int64)
    nnz = 0
    for i in range(rows):
        for j in range(cols):
            if mat[i, j] != 0:
                nnz += 1
        indptr[i + 1] = nnz
    indices = np.empty(nnz, np.int64)
    values = np.empty(nnz, np.int64)
    q = 0
    for i in range(rows):
        for j in range(cols):
            v = mat[i, j]
            if v != 0:
                indices[q] = j
                values[q] = v
                q += 1
    return indptr, indices, values


@njit(cache=True)
def first_duplicate_row(indptr, indices):
    """Index of the first row that lists a column twice, or -1 (columns must be < 65536)."""
    mark = np.full(65536, -1, np.int64)
    for i in range(len(indptr) - 1):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if mark[j] == i:
                return i
            mark[j] = i
    return -1


@njit(cache=True)
def check_csr(indptr, indices, values):
    """One pass over a CSR matrix: (malformed, first duplicate row or -1, bad uid, bad value).

    ``malformed``: indptr not non-decreasing / not starting at 0 / not matching the arrays;
    a bad uid or value is one outside 0..65535 (u16)."""
    rows = len(indptr) - 1
    if rows < 0 or indptr[0] != 0 or indptr[rows] != len(indices) or len(indices) != len(values):
        return True, -1, False, False
    for i in range(rows):
        if indptr[i + 1] < indptr[i]:
            return True, -1, False, False
    mark = np.full(65536, -1, np.int32)
    dup = -1
    bad_uid = False
    bad_val = False
    for i in range(rows):
        a = indptr[i]
        b = indptr[i + 1]
        increasing = True
        last = -1
        for p in range(a, b):
            j = indices[p]
            v = values[p]
            if v < 0 or v > 65535:
                bad_val = True
            if j < 0 or j > 65535:
                bad_uid = True
            if j <= last:
                increasing = False
            last = j
        if not increasing and not bad_uid and dup < 0:  # only unsorted rows can hide duplicates
            for p in range(a, b):
                j = indices[p]
                if mark[j] == i:
                    dup = i
                    break
                mark[j] = i
    return False, dup, bad_uid, bad_val
