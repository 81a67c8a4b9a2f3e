//! Orthonormal periodic wavelets (Haar and Daubechies-4). Being written.
