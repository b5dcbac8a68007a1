"""SpecRRMoco-Net: relational reasoning + MoCo v2 self-supervised pre-training.

Sun et al., Scientific Reports 13:9370 (2023) (spec section 3); MoCo v2 of He et
al. (CVPR 2020) / Chen et al. (arXiv:2003.04297); relational reasoning of
Patacchiola & Storkey (NeurIPS 2020) and SelfTime (Fan et al., 2020).

One ``keras.Model`` covers the three published variants; they differ only in
``moco_weight`` (lambda of spec 3.5 step 4) and ``relational``:

=================  ===============================================
SpecRRMoco-Net     ``moco_weight=0.01`` (released model), relational
SpecRR-Net         ``moco_weight=0`` (MoCo loss still monitored)
SpecMoco-Net       ``moco_weight=float("inf")`` or ``relational=False``
=================  ===============================================

Example:
    >>> import spectra_zoo
    >>> from spectra_zoo.ssl import SpecRRMoco
    >>> from spectra_zoo.data.pipelines import self_supervised_dataset
    >>> encoder = spectra_zoo.build_model("conv_sc_attention_ssl", include_top=False, input_length=1000)
    >>> model = SpecRRMoco(encoder, queue_size=1744)
    >>> model.compile(epochs=800, steps_per_epoch=2)
    >>> model.fit(self_supervised_dataset(x, external=t, batch_size=512), epochs=800)
    >>> model.encoder.save("encoder.keras")
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from spectra_zoo.ssl import losses
from spectra_zoo.ssl.heads import external_head, pair_head, projection_head
from spectra_zoo.ssl.schedules import default_ssl_optimizer

REQUIRED_KEYS_MOCO = ("view1", "view2")
REQUIRED_KEYS_RR = ("views", "piece1", "piece2", "piece_label")


class SSLInputError(ValueError):
    """A self-supervised batch or argument is malformed (the message names the fix)."""


def _maybe_merge_call(fn, *args):
    strategy = tf.distribute.get_strategy()
    return tf.__internal__.distribute.interim.maybe_merge_call(fn, strategy, *args)


def _tf_var(v):
    return v.value if isinstance(v, keras.Variable) else v


def _replica_info():
    ctx = tf.distribute.get_replica_context()
    if ctx is None:  # cross-replica context
        return None, 1, 0
    n = ctx.num_replicas_in_sync
    rid = ctx.replica_id_in_sync_group if n > 1 else 0
    return ctx, n, rid


def _clone_with_weights(model, name):
    try:
        clone = keras.models.clone_model(model)
    except Exception:  # subclassed / exotic models: go through the config
        clone = model.__class__.from_config(model.get_config())
    clone.set_weights(model.get_weights())  # clone_model does not copy weights
    return clone


@keras.saving.register_keras_serializable(package="spectra_zoo")
class SpecRRMoco(keras.Model):
    """Self-supervised SpecRRMoco-Net wrapper around any spectra_zoo encoder.

    Components (spec 3.2): the query encoder ``encoder`` (global-average pooled
    if it outputs ``(batch, steps, channels)``) with a projection head
    Linear-ReLU-Linear-L2norm; a momentum key encoder + projection head (copies
    of the query ones, updated by EMA ``key <- m key + (1 - m) query`` *before*
    each step, never by gradients); a queue of ``queue_size`` keys stored as a
    non-trainable variable with a pointer variable; the symmetric InfoNCE loss;
    the inter-sample relation head (pairs of the K views, negatives by the
    shifted pairing of spec 3.5); the intra-sample cut-piece head; the
    external-variable head. Total loss = inter + intra + external + lambda * MoCo.

    Batches are the dicts of ``spectra_zoo.data.pipelines.self_supervised_dataset``:
    ``view1``/``view2`` ``(batch, points)``, ``views`` ``(batch, K, points)``,
    ``piece1``/``piece2`` ``(batch, K, w)``, ``piece_label`` ``(batch, K)`` int,
    ``external_label`` ``(batch,)`` int.

    Pieces are shorter than the spectra. A length-agnostic encoder (input length
    ``None``, like the spec 3.1 encoder with adaptive pooling) sees them as they
    are; an encoder built for a fixed length L sees them linearly resampled to L
    points (``tf.image.resize``, bilinear) - ``piece_resize`` controls this.

    Distribution (``tf.distribute.MirroredStrategy``): the keys of all replicas
    are all-gathered and enter the queue in the same order on every replica
    (queue, pointer and EMA are written in cross-replica context with
    ``strategy.extended.update``, so they stay identical). With
    ``bn_shuffle=True`` the key batch is shuffled *across replicas* before the
    key encoder and un-shuffled after it (MoCo's shuffle-BN): the batch
    statistics a key sees come from other samples than those of its query, so
    the contrastive task cannot be solved through batch statistics. On a single
    device the shuffle is within the batch; combined with the interleaved
    SplitBatchNorm groups of the spec 3.1 encoder this gives each key a
    different group than its query. Per-replica batches must have equal sizes
    (use ``drop_remainder=True``). The loss is divided by the number of replicas
    before the gradient (gradients are summed across replicas).

    Args:
        encoder: A ``keras.Model`` from ``spectra_zoo.build_model(name, include_top=False)``
            mapping ``(batch, points)`` to ``(batch, features)`` or ``(batch, steps, channels)``.
        projection_dim: Width of the projection (spec: 128).
        queue_size: Number of negatives K_q. The released model used 1744 (= 2 x its
            872 training spectra); about twice the number of unlabelled spectra is a
            sensible choice. Default 1024.
        momentum: EMA momentum m of the key encoder (spec: 0.99).
        temperature: InfoNCE temperature T (spec: 0.1).
        moco_weight: lambda. ``0`` = SpecRR-Net, ``inf`` = SpecMoco-Net, 0.01 = the
            released SpecRRMoco-Net.
        relational: Train the relational heads (False = SpecMoco-Net).
        use_external: Use the external-variable head (needs ``external_label``).
        k_views: Views per spectrum K (spec: 6).
        n_piece_classes: Cut-piece distance classes (spec: 5).
        n_external_classes: External-variable classes (spec: 5).
        double_softmax: Reproduce the original's softmax-then-cross-entropy in the
            two classification heads (spec section 6.8; default True as in the
            released model). False gives the clean cross-entropy on logits.
        bn_shuffle: Shuffle the key batch before the key encoder (see above).
        relation_hidden: Hidden width of the relation and cut-piece heads (spec: 64).
        piece_resize: ``"auto"`` (resample pieces only for fixed-length encoders),
            ``True`` or ``False``.
        monitor_moco: With ``moco_weight=0`` still compute (and report) the MoCo loss
            and fill the queue, as the original did. Costs two extra forward passes.
        seed: Seed of the initialisers and of the key-batch shuffle.
        **kwargs: ``keras.Model`` arguments (``name``).

    Example:
        >>> encoder = spectra_zoo.build_model("fnn1d", include_top=False, input_length=256)
        >>> model = SpecRRMoco(encoder, queue_size=64, k_views=3)
        >>> model.compile(epochs=10, steps_per_epoch=4)
        >>> history = model.fit(dataset, epochs=10)
        >>> features = model.encoder.predict(x)  # (batch, features)
    """

    def __init__(self, encoder, projection_dim=128, queue_size=1024, momentum=0.99, temperature=0.1,
                 moco_weight=0.01, relational=True, use_external=True, k_views=6, n_piece_classes=5,
                 n_external_classes=5, double_softmax=True, bn_shuffle=True, relation_hidden=64,
                 piece_resize="auto", monitor_moco=True, seed=0, **kwargs):
        kwargs.setdefault("name", "spec_rr_moco")
        super().__init__(**kwargs)
        if isinstance(encoder, dict):
            import spectra_zoo.layers  # noqa: F401  (register custom layers)

            encoder = keras.saving.deserialize_keras_object(encoder)
        self._check_args(encoder, projection_dim, queue_size, momentum, temperature, moco_weight,
                         k_views, n_piece_classes, n_external_classes, piece_resize)
        self.projection_dim = int(projection_dim)
        self.queue_size = int(queue_size)
        self.momentum = float(momentum)
        self.temperature = float(temperature)
        self.moco_weight = float(moco_weight)
        self.relational = bool(relational)
        self.use_external = bool(use_external)
        self.k_views = int(k_views)
        self.n_piece_classes = int(n_piece_classes)
        self.n_external_classes = int(n_external_classes)
        self.double_softmax = bool(double_softmax)
        self.bn_shuffle = bool(bn_shuffle)
        self.relation_hidden = int(relation_hidden)
        self.piece_resize = piece_resize
        self.monitor_moco = bool(monitor_moco)
        self.seed = int(seed)

        self.use_rr = self.relational and not math.isinf(self.moco_weight)
        self.use_moco = self.moco_weight != 0 or self.monitor_moco or not self.use_rr

        self.encoder = encoder
        self.input_length = encoder.inputs[0].shape[-1]
        out_shape = encoder.outputs[0].shape
        self.feature_pool = (
            keras.layers.GlobalAveragePooling1D(name="ssl_feature_pool") if len(out_shape) == 3 else None
        )
        feat_dim = int(out_shape[-1])
        self.feature_dim = feat_dim
        self.projection_head = projection_head(feat_dim, self.projection_dim, seed=seed, name="projection_head")

        self.key_encoder = _clone_with_weights(encoder, "key_encoder")
        self.key_projection_head = _clone_with_weights(self.projection_head, "key_projection_head")
        q_weights = self.encoder.weights + self.projection_head.weights
        k_weights = self.key_encoder.weights + self.key_projection_head.weights
        if len(q_weights) != len(k_weights) or any(q.shape != k.shape for q, k in zip(q_weights, k_weights)):
            raise SSLInputError("SpecRRMoco: the key encoder clone does not match the query encoder's weights.")
        # EMA over the trainable parameters (MoCo); BN running statistics of the key
        # encoder follow from its own forward passes in training mode.
        self._ema_pairs = [(q, k) for q, k in zip(q_weights, k_weights) if q.trainable]
        for k in k_weights:
            k.trainable = False  # no gradients; the layers stay "trainable" so BN uses batch stats

        pair_dim = 2 * self.projection_dim
        if self.use_rr:
            self.relation_head = pair_head(pair_dim, 1, self.relation_hidden, softmax=False, seed=seed + 10,
                                           name="relation_head")
            self.piece_head = pair_head(pair_dim, self.n_piece_classes, self.relation_hidden,
                                        softmax=self.double_softmax, seed=seed + 20, name="piece_head")
            if self.use_external:
                self.external_head = external_head(self.projection_dim, self.n_external_classes,
                                                   softmax=self.double_softmax, seed=seed + 30,
                                                   name="external_head")

        def _queue_init(shape, dtype=None):
            q = keras.random.normal(shape, seed=seed + 40, dtype=dtype)
            return q / keras.ops.norm(q, axis=-1, keepdims=True)

        self.queue = self.add_weight(shape=(self.queue_size, self.projection_dim), initializer=_queue_init,
                                     trainable=False, name="queue")
        self.queue_ptr = self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False,
                                         name="queue_ptr")

        names = ["loss"]
        if self.use_moco:
            names += ["moco_loss", "moco_acc"]
        if self.use_rr:
            names += ["inter_loss", "inter_acc", "intra_loss", "intra_acc"]
            if self.use_external:
                names += ["ext_loss", "ext_acc"]
        self._trackers = {n: keras.metrics.Mean(name=n) for n in names}
        self.built = True

    # ---------------------------------------------------------------- validation
    @staticmethod
    def _check_args(encoder, projection_dim, queue_size, momentum, temperature, moco_weight, k_views,
                    n_piece_classes, n_external_classes, piece_resize):
        if not isinstance(encoder, keras.Model) or not getattr(encoder, "inputs", None):
            raise SSLInputError(
                "SpecRRMoco needs a functional encoder, e.g. "
                "spectra_zoo.build_model('conv_sc_attention_ssl', include_top=False, input_length=L); "
                f"got {type(encoder).__name__}."
            )
        if len(encoder.inputs) != 1 or len(encoder.inputs[0].shape) != 2:
            raise SSLInputError(
                f"SpecRRMoco needs an encoder of single spectra (batch, points); {encoder.name!r} takes "
                f"{[tuple(i.shape) for i in encoder.inputs]}."
            )
        if len(encoder.outputs[0].shape) not in (2, 3):
            raise SSLInputError(
                f"Encoder {encoder.name!r} outputs {tuple(encoder.outputs[0].shape)}; expected "
                "(batch, features) or (batch, steps, channels)."
            )
        for n, v in (("projection_dim", projection_dim), ("queue_size", queue_size), ("n_piece_classes",
                     n_piece_classes), ("n_external_classes", n_external_classes)):
            if int(v) != v or v < 1:
                raise SSLInputError(f"SpecRRMoco: {n} must be a positive integer, got {v!r}.")
        if int(k_views) != k_views or k_views < 2:
            raise SSLInputError(f"SpecRRMoco: k_views must be an integer >= 2 (view pairs), got {k_views!r}.")
        if not 0.0 <= momentum <= 1.0:
            raise SSLInputError(f"SpecRRMoco: momentum must be in [0, 1], got {momentum!r}.")
        if not temperature > 0:
            raise SSLInputError(f"SpecRRMoco: temperature must be > 0, got {temperature!r}.")
        if not (moco_weight >= 0):
            raise SSLInputError(
                f"SpecRRMoco: moco_weight must be >= 0 (0 = SpecRR-Net, inf = SpecMoco-Net), got {moco_weight!r}."
            )
        if piece_resize not in ("auto", True, False):
            raise SSLInputError(f"SpecRRMoco: piece_resize must be 'auto', True or False, got {piece_resize!r}.")

    def check_dataset(self, dataset):
        """Check the element spec of a self-supervised ``tf.data.Dataset`` before training.

        Raises:
            SSLInputError: a required key is missing or a shape does not match the model.
        """
        spec = dataset.element_spec
        if isinstance(spec, tuple):
            spec = spec[0]
        if not isinstance(spec, dict):
            raise SSLInputError(
                "SpecRRMoco.fit expects a dataset of dict batches from "
                "spectra_zoo.data.pipelines.self_supervised_dataset(...), got elements of "
                f"{type(spec).__name__}."
            )
        need = list(REQUIRED_KEYS_MOCO if self.use_moco else ())
        if self.use_rr:
            need += list(REQUIRED_KEYS_RR) + (["external_label"] if self.use_external else [])
        missing = [k for k in need if k not in spec]
        if missing:
            hint = " Pass external=... to the pipeline or build SpecRRMoco(use_external=False)." \
                if "external_label" in missing else ""
            raise SSLInputError(f"Self-supervised batches lack {missing}; they have {sorted(spec)}.{hint}")
        L = self.input_length
        for key in ("view1", "view2"):
            if key in need and L is not None and spec[key].shape[-1] not in (None, L):
                raise SSLInputError(
                    f"Batch key {key!r} holds spectra of {spec[key].shape[-1]} points but the encoder "
                    f"was built for input_length={L}. Resample the spectra or rebuild the encoder."
                )
        if self.use_rr:
            views = spec["views"].shape
            if views.rank != 3 or views[1] not in (None, self.k_views):
                raise SSLInputError(
                    f"Batch key 'views' has shape {views}; expected (batch, k_views={self.k_views}, points). "
                    "Use the same k_views in the pipeline and the model."
                )
            if L is not None and views[-1] not in (None, L):
                raise SSLInputError(f"'views' hold {views[-1]} points but the encoder expects {L}.")

    def fit(self, x=None, *args, **kwargs):
        if getattr(self, "optimizer", None) is None:
            raise SSLInputError(
                "SpecRRMoco is not compiled: call model.compile(epochs=..., steps_per_epoch=...) "
                "(spec 3.6 SGD + warm-up/cosine) or model.compile(optimizer=...) before fit."
            )
        if isinstance(x, tf.data.Dataset):
            self.check_dataset(x)
        elif x is not None and not isinstance(x, tf.distribute.DistributedDataset):
            raise SSLInputError(
                "SpecRRMoco.fit expects a tf.data.Dataset of dict batches "
                "(spectra_zoo.data.pipelines.self_supervised_dataset)."
            )
        return super().fit(x, *args, **kwargs)

    # ---------------------------------------------------------------- compile
    def compile(self, optimizer=None, *, base_lr=0.15, epochs=800, steps_per_epoch=1, warmup_epochs=10,
                warmup_from=0.01, **kwargs):
        """Compile with the spec 3.6 optimiser unless ``optimizer`` is given.

        Args:
            optimizer: ``None`` for SGD (momentum 0.9, coupled L2 1e-4) with the
                warm-up + cosine schedule, or any Keras optimiser.
            base_lr: Peak learning rate of the default schedule.
            epochs: Planned epochs (length of the cosine).
            steps_per_epoch: Batches per epoch.
            warmup_epochs: Warm-up epochs (clipped to ``epochs - 1``).
            warmup_from: Warm-up start learning rate.
            **kwargs: Passed to ``keras.Model.compile``.
        """
        if optimizer is None:
            optimizer = default_ssl_optimizer(base_lr=base_lr, epochs=epochs, steps_per_epoch=steps_per_epoch,
                                              warmup_epochs=warmup_epochs, warmup_from=warmup_from)
        super().compile(optimizer=optimizer, **kwargs)

    # ---------------------------------------------------------------- forward
    @property
    def metrics(self):
        return list(self._trackers.values())

    def call(self, inputs, training=False):
        """Encoder representation of ``(batch, points)`` spectra: ``(batch, features)``."""
        h = self.encoder(inputs, training=training)
        return self.feature_pool(h) if self.feature_pool is not None else h

    def project(self, x, training=False):
        """Query features f_q(x): encoder, pooling, projection, L2 norm."""
        return self.projection_head(self.call(x, training=training), training=training)

    def project_key(self, x, training=True):
        """Key features f_k(x) (momentum encoder)."""
        h = self.key_encoder(x, training=training)
        if self.feature_pool is not None:
            h = self.feature_pool(h)
        return self.key_projection_head(h, training=training)

    def _prepare_pieces(self, pieces):
        pieces = tf.convert_to_tensor(pieces)
        w = pieces.shape[-1]
        flat = tf.reshape(tf.transpose(pieces, [1, 0, 2]), [-1, tf.shape(pieces)[-1]])  # view-major
        L = self.input_length
        resize = self.piece_resize is True or (self.piece_resize == "auto" and L is not None and w != L)
        if resize:
            if L is None:
                raise SSLInputError("piece_resize=True needs an encoder with a fixed input_length.")
            flat = tf.image.resize(flat[:, :, None, None], [L, 1], method="bilinear")[:, :, 0, 0]
        return flat

    def _keys(self, x, offset):
        """Keys of ``x`` by the momentum encoder, with the (cross-replica) batch shuffle.

        Returns:
            ``(local_keys, all_keys)``: keys of this replica's samples and of the global batch.
        """
        ctx, n_rep, rid = _replica_info()
        x_all = ctx.all_gather(x, axis=0) if n_rep > 1 else x
        b = tf.shape(x)[0]
        n = tf.shape(x_all)[0]
        if self.bn_shuffle:
            opt = getattr(self, "optimizer", None)
            step = tf.cast(opt.iterations, tf.int64) if opt is not None else tf.constant(0, tf.int64)
            seed = tf.stack([tf.constant(self.seed, tf.int64), 2 * step + offset])
            perm = tf.argsort(tf.random.stateless_uniform([n], seed=seed))
        else:
            perm = tf.range(n)
        mine = tf.range(b) + tf.cast(rid, tf.int32) * b
        # all_gather drops static dimensions; restore them (layers such as LayerNorm need them)
        x_in = tf.ensure_shape(tf.gather(x_all, tf.gather(perm, mine)), [None, *x.shape[1:]])
        keys_shuffled = self.project_key(x_in, training=True)
        keys_all_shuffled = ctx.all_gather(keys_shuffled, axis=0) if n_rep > 1 else keys_shuffled
        keys_all_shuffled = tf.ensure_shape(keys_all_shuffled, [None, self.projection_dim])
        keys_all = tf.gather(keys_all_shuffled, tf.argsort(perm))
        keys_local = tf.gather(keys_all, mine)
        return tf.stop_gradient(keys_local), tf.stop_gradient(keys_all)

    # ---------------------------------------------------------------- state updates
    def momentum_update(self):
        """EMA of the key encoder: ``key <- m * key + (1 - m) * query`` (all replicas alike)."""
        m = self.momentum
        pairs = [(_tf_var(q), _tf_var(k)) for q, k in self._ema_pairs]

        def update(strategy, pairs):
            for q, k in pairs:
                strategy.extended.update(k, lambda kv, qv: kv.assign(m * kv + (1.0 - m) * qv),
                                         args=(q,), group=False)

        _maybe_merge_call(update, pairs)

    def enqueue(self, keys):
        """Write ``keys`` (identical on every replica) at the queue pointer and advance it.

        Args:
            keys: ``(n, projection_dim)``. If ``n > queue_size`` only the last
                ``queue_size`` keys are kept; the pointer still advances by ``n``.
        """
        keys = tf.cast(keys, self.queue.dtype)
        size = self.queue_size
        n = tf.shape(keys)[0]
        keys = keys[-size:]
        kept = tf.shape(keys)[0]
        ptr = tf.convert_to_tensor(self.queue_ptr.value)
        idx = tf.math.floormod(ptr + (n - kept) + tf.range(kept), size)
        new_ptr = tf.math.floormod(ptr + n, size)
        queue, qptr = _tf_var(self.queue), _tf_var(self.queue_ptr)

        def update(strategy, keys, idx, new_ptr):
            strategy.extended.update(
                queue, lambda v, kk, ii: v.assign(tf.tensor_scatter_nd_update(v, ii[:, None], kk)),
                args=(keys, idx), group=False)
            strategy.extended.update(qptr, lambda v, p: v.assign(p), args=(new_ptr,), group=False)

        _maybe_merge_call(update, keys, idx, new_ptr)

    # ---------------------------------------------------------------- training
    def compute_ssl_losses(self, batch, keys=None, training=True):
        """All active losses and accuracies of one batch (differentiable w.r.t. the query side).

        Args:
            batch: A dict batch (see the class docstring).
            keys: ``(k1, k2)`` key features of ``view1``/``view2`` (computed with
                :meth:`_keys` when None).
            training: Run the networks in training mode.

        Returns:
            Dict of scalar tensors: ``loss`` and the per-part losses/accuracies.
        """
        out = {}
        moco = inter = intra = ext = None
        if self.use_moco:
            k1, k2 = keys if keys is not None else (self._keys(batch["view1"], 0)[0], self._keys(batch["view2"], 1)[0])
            q1 = self.project(batch["view1"], training=training)
            q2 = self.project(batch["view2"], training=training)
            moco, out["moco_acc"] = losses.symmetric_info_nce(q1, q2, k1, k2, self.queue.value, self.temperature)
            out["moco_loss"] = moco
        if self.use_rr:
            views = tf.convert_to_tensor(batch["views"])
            flat = tf.reshape(tf.transpose(views, [1, 0, 2]), [-1, tf.shape(views)[-1]])  # view-major
            feats = self.project(flat, training=training)
            pairs, targets = losses.relation_pairs(feats, self.k_views)
            inter, out["inter_acc"] = losses.relation_loss(self.relation_head(pairs, training=training), targets)
            p1 = self.project(self._prepare_pieces(batch["piece1"]), training=training)
            p2 = self.project(self._prepare_pieces(batch["piece2"]), training=training)
            labels = tf.reshape(tf.transpose(batch["piece_label"], [1, 0]), [-1])
            intra, out["intra_acc"] = losses.classification_loss(
                self.piece_head(tf.concat([p1, p2], axis=-1), training=training), labels, self.double_softmax)
            out["inter_loss"], out["intra_loss"] = inter, intra
            if self.use_external:
                ext_labels = tf.tile(tf.reshape(batch["external_label"], [-1]), [self.k_views])
                ext, out["ext_acc"] = losses.classification_loss(
                    self.external_head(feats, training=training), ext_labels, self.double_softmax)
                out["ext_loss"] = ext
        weight = self.moco_weight if self.use_rr else float("inf")
        if moco is not None and weight == 0:
            moco = tf.stop_gradient(moco)
        out["loss"] = losses.total_loss(moco, inter, intra, ext, weight)
        return out

    def train_step(self, data):
        batch = data[0] if isinstance(data, (tuple, list)) else data
        self.momentum_update()  # before the loss, every step (spec 3.5 step 1)
        keys = None
        if self.use_moco:
            k1_local, k1_all = self._keys(batch["view1"], 0)
            k2_local, k2_all = self._keys(batch["view2"], 1)
            keys = (k1_local, k2_local)
        with tf.GradientTape() as tape:
            out = self.compute_ssl_losses(batch, keys=keys, training=True)
            n_rep = tf.distribute.get_strategy().num_replicas_in_sync
            scaled = out["loss"] / n_rep if n_rep > 1 else out["loss"]
        variables = self.trainable_variables
        grads = tape.gradient(scaled, variables)
        self.optimizer.apply(grads, variables)
        if self.use_moco:
            self.enqueue(tf.concat([k1_all, k2_all], axis=0))
        for name, tracker in self._trackers.items():
            tracker.update_state(out[name])
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    def test_step(self, data):
        batch = data[0] if isinstance(data, (tuple, list)) else data
        out = self.compute_ssl_losses(batch, training=False)
        for name, tracker in self._trackers.items():
            tracker.update_state(out[name])
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    # ---------------------------------------------------------------- serialisation
    def get_config(self):
        return {
            "name": self.name,
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "projection_dim": self.projection_dim,
            "queue_size": self.queue_size,
            "momentum": self.momentum,
            "temperature": self.temperature,
            "moco_weight": self.moco_weight,
            "relational": self.relational,
            "use_external": self.use_external,
            "k_views": self.k_views,
            "n_piece_classes": self.n_piece_classes,
            "n_external_classes": self.n_external_classes,
            "double_softmax": self.double_softmax,
            "bn_shuffle": self.bn_shuffle,
            "relation_hidden": self.relation_hidden,
            "piece_resize": self.piece_resize,
            "monitor_moco": self.monitor_moco,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def spec_rr_net(encoder, **kwargs):
    """SpecRR-Net: relational heads only (``moco_weight=0``); see :class:`SpecRRMoco`."""
    return SpecRRMoco(encoder, moco_weight=0.0, **kwargs)


def spec_moco_net(encoder, **kwargs):
    """SpecMoco-Net: MoCo only (``moco_weight=inf``); see :class:`SpecRRMoco`."""
    return SpecRRMoco(encoder, moco_weight=float("inf"), **kwargs)


VARIANTS = {
    "specrrmoco": {"moco_weight": 0.01},
    "specrr": {"moco_weight": 0.0},
    "specmoco": {"moco_weight": float("inf")},
}
