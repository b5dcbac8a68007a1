"""One call from unlabelled spectra to a pre-trained encoder (used by scripts and benchmarks).

Example:
    >>> from spectra_zoo.ssl.training import pretrain_encoder
    >>> model, history = pretrain_encoder("conv_sc_attention_ssl", x, external=pressure,
    ...                                   variant="specrrmoco", epochs=100)
    >>> encoder = model.encoder
"""

from __future__ import annotations

import math

import keras
import numpy as np

from spectra_zoo.ssl.model import VARIANTS, SpecRRMoco, SSLInputError


def ssl_batch_size(n_spectra, batch_size=512, multiple=8):
    """Largest usable batch: at most ``batch_size`` and ``n_spectra``, a multiple of ``multiple``.

    SplitBatchNorm (spec 3.1) needs batches divisible by its 8 groups.
    """
    b = min(int(batch_size), int(n_spectra)) // multiple * multiple
    if b < multiple:
        raise SSLInputError(
            f"{n_spectra} spectra are too few for self-supervised batches of a multiple of {multiple}."
        )
    return b


def pretrain_encoder(encoder, x, external=None, variant="specrrmoco", epochs=100, batch_size=512, k_views=6,
                     piece_size=0.2, n_piece_classes=5, n_external_classes=5, queue_size=None, base_lr=0.15,
                     warmup_epochs=10, augmenter=None, seed=0, verbose=0, callbacks=None, encoder_kwargs=None,
                     length_agnostic=True, checkpoint_dir=None, **model_kwargs):
    """Pre-train an encoder with SpecRRMoco-Net / SpecRR-Net / SpecMoco-Net.

    Builds the self-supervised pipeline
    (``spectra_zoo.data.pipelines.self_supervised_dataset``), wraps the encoder in
    :class:`SpecRRMoco` with the variant's loss weights, compiles it with the spec
    3.6 optimiser (SGD, momentum 0.9, coupled L2 1e-4, warm-up + cosine over
    ``epochs``) and fits it. Batches are re-batched to a fixed size divisible by 8
    (remainder dropped) so that SplitBatchNorm and distributed all-gathers work.

    Args:
        encoder: A registry name (built with ``include_top=False``,
            ``input_length=x.shape[1]`` and ``encoder_kwargs``) or an encoder model.
        x: ``(n, points)`` unlabelled spectra (preprocessed).
        external: Optional ``(n,)`` external variable (e.g. pressure or acquisition
            order) for the external-variable head; without it the head is off.
        variant: ``"specrrmoco"``, ``"specrr"`` or ``"specmoco"`` (see ``VARIANTS``).
        epochs: Training epochs.
        batch_size: Upper bound of the batch size (spec: 512).
        k_views: Relational views per spectrum (spec: 6).
        piece_size: Cut-piece size as a fraction of the length (spec: 0.2 [INFERRED]).
        n_piece_classes: Cut-piece classes.
        n_external_classes: External-variable classes.
        queue_size: MoCo queue length; default ``2 * n`` (the released model: 2 x 872).
        base_lr: Peak learning rate (spec: 0.15).
        warmup_epochs: Warm-up epochs (clipped to ``epochs - 1``).
        augmenter: Augmenter for the views (default: the pipeline's pre-training one).
        seed: Seed of the pipeline, the initialisers and the shuffles.
        verbose: Keras verbosity.
        callbacks: Keras callbacks.
        encoder_kwargs: Builder arguments when ``encoder`` is a name.
        length_agnostic: When ``encoder`` is a name and its builder accepts
            ``input_length=None`` (e.g. the spec 3.1 encoder with adaptive pooling),
            build it length-agnostic so the cut pieces go through at their own
            length, as in the original (and about twice as fast as resampling them).
            Otherwise the encoder is built for ``x.shape[1]`` points and the pieces
            are resampled. Use :func:`fixed_length_copy` to save a fixed-length encoder.
        checkpoint_dir: Save the whole training state (encoders, queue, optimiser, logs)
            there after every epoch with :class:`~spectra_zoo.callbacks.ResumableCheckpoint`;
            when it holds the checkpoint of an interrupted run with the same arguments,
            training resumes there and ends with the weights of an uninterrupted run.
        **model_kwargs: Further :class:`SpecRRMoco` arguments (``momentum``, ``temperature``, ...).

    Returns:
        ``(model, history)``: the trained :class:`SpecRRMoco` (``model.encoder`` is the
        encoder) and the Keras ``History``.
    """
    if variant not in VARIANTS:
        raise SSLInputError(f"Unknown variant {variant!r}; choose from {sorted(VARIANTS)}.")
    from spectra_zoo.data.pipelines import self_supervised_dataset

    x = np.asarray(x, dtype="float32")
    if x.ndim != 2 or not np.all(np.isfinite(x)):
        raise SSLInputError("x must be a finite (n, points) array of spectra.")
    keras.utils.set_random_seed(seed)
    if isinstance(encoder, str):
        encoder = _build_encoder(encoder, x.shape[1], length_agnostic, encoder_kwargs)
    use_external = external is not None
    b = ssl_batch_size(len(x), batch_size)
    steps = len(x) // b
    ds_kwargs = dict(external=external, batch_size=b, k_views=k_views, piece_size=piece_size,
                     n_piece_classes=n_piece_classes, n_external_classes=n_external_classes, seed=seed)
    if augmenter is not None:
        ds_kwargs["augmenter"] = augmenter
    # endless, with steps_per_epoch: one iterator for the whole run, so that a resumed run
    # (checkpoint_dir) can skip exactly the batches the interrupted one used
    dataset = self_supervised_dataset(x, **ds_kwargs).rebatch(b, drop_remainder=True).repeat()
    model = SpecRRMoco(encoder, queue_size=queue_size or max(64, 2 * len(x)), k_views=k_views,
                       n_piece_classes=n_piece_classes, n_external_classes=n_external_classes,
                       use_external=use_external, seed=seed, **VARIANTS[variant], **model_kwargs)
    model.compile(base_lr=base_lr, epochs=epochs, steps_per_epoch=max(1, steps),
                  warmup_epochs=min(warmup_epochs, max(0, epochs - 1)))
    callbacks = list(callbacks or [])
    initial_epoch = 0
    checkpoint = None
    if checkpoint_dir is not None:
        from spectra_zoo.callbacks import ResumableCheckpoint

        checkpoint = ResumableCheckpoint(checkpoint_dir, callbacks=callbacks)
        dataset = checkpoint.fast_forward(dataset, steps_per_epoch=max(1, steps))
        initial_epoch = checkpoint.epochs_done
        callbacks.append(checkpoint)
    history = model.fit(dataset, epochs=epochs, steps_per_epoch=max(1, steps), verbose=verbose, callbacks=callbacks,
                        initial_epoch=initial_epoch)
    if checkpoint is not None:
        history.history = {k: list(v) for k, v in checkpoint.history.items()}
    return model, history


def _build_encoder(name, length, length_agnostic, encoder_kwargs):
    from spectra_zoo.registry import build_model

    kwargs = dict(encoder_kwargs or {})
    if "input_length" not in kwargs and length_agnostic:
        try:
            return build_model(name, include_top=False, input_length=None, **kwargs)
        except ValueError:  # the architecture needs a fixed length
            pass
    kwargs.setdefault("input_length", length)
    return build_model(name, include_top=False, **kwargs)


def fixed_length_copy(encoder, architecture, input_length, **builder_kwargs):
    """Rebuild ``architecture`` for ``input_length`` points and copy ``encoder``'s weights by layer name.

    Used to save a length-agnostic pre-trained encoder as a preset whose input
    length is checked.
    """
    from spectra_zoo.models._head import _transfer_weights
    from spectra_zoo.registry import build_model

    fixed = build_model(architecture, include_top=False, input_length=input_length, **builder_kwargs)
    _transfer_weights(fixed, encoder, f"the pre-trained {architecture} encoder")
    return fixed


def history_summary(history, last=5):
    """Mean of the last ``last`` epochs of every logged quantity (for metadata and reports)."""
    out = {}
    for key, values in history.history.items():
        vals = [v for v in values[-last:] if v is not None and math.isfinite(v)]
        if vals:
            out[key] = float(np.mean(vals))
    return out
