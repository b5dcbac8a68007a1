"""Custom Keras layers of spectra_zoo, each registered for ``.keras`` serialization."""
