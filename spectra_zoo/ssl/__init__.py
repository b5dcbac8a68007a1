"""Self-supervised pre-training of spectra encoders (SpecRRMoco-Net, Sun et al., Sci. Rep. 13:9370, 2023).

Example:
    >>> from spectra_zoo.ssl import SpecRRMoco
    >>> model = SpecRRMoco(spectra_zoo.build_model("conv_sc_attention_ssl", include_top=False, input_length=1000))
"""

from spectra_zoo.ssl import losses  # noqa: F401
from spectra_zoo.ssl.model import VARIANTS, SpecRRMoco, SSLInputError, spec_moco_net, spec_rr_net  # noqa: F401
from spectra_zoo.ssl.schedules import CoupledL2SGD, WarmupCosineSchedule, default_ssl_optimizer  # noqa: F401

__all__ = [
    "CoupledL2SGD",
    "SSLInputError",
    "SpecRRMoco",
    "VARIANTS",
    "WarmupCosineSchedule",
    "default_ssl_optimizer",
    "losses",
    "spec_moco_net",
    "spec_rr_net",
]
