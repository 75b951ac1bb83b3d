"""Table IV: the white-box transfer matrix of Table III on binarised inputs (p = inf).

Training and test images of classes 0 and 1 are saturated with ``Saturate(p=inf)``
(pixels above 0.5 become 1, below 0.5 become 0; the paper's Sec. III-D) before the four single-run
models of ``table3`` are trained, with the same settings and attacks. The
adversarial perturbations are added to the binarised inputs and clipped to [0, 1],
not binarised again (otherwise eps = 0.0625 could not change a pixel, yet the paper
reports SVM -> SVM 0 %). The paper's Table IV (CIFAR-10, eps 0.0625) is written
beside the results; its "original" block is Table III's CIFAR-10 block (``table3``).
"""

from . import table3

PAPER = {  # Table IV, fully binarised block (%): row -> targets svm, scd01, mlp, mlp01
    "cifar10-jpeg": {
        "clean": (76.6, 79.1, 81.2, 78.6), "svm": (0, 73.9, 6.5, 76.7),
        "scd01": (71.1, 62.4, 78.1, 78.5), "mlp": (0.3, 74.2, 3, 76.3),
        "mlp01": (76.7, 79.4, 81, 73.8),
    },
}


def add_arguments(parser):
    table3.add_arguments(parser)


def run(args):
    table3.run_whitebox(args, "table4", binarised=True, paper=PAPER, paper_name="Table IV")
