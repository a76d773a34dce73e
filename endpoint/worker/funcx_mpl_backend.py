"""matplotlib backend of funcX workers (MPLBACKEND=module://funcx_mpl_backend): Agg, with plt.show()
sending the open figures to the running task as image/png display outputs."""

import sys

from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg

FigureCanvas = FigureCanvasAgg
FigureManager = FigureManagerBase


def show(*_args, **_kwargs):
    worker = getattr(sys.modules.get("__main__"), "WORKER", None)
    if worker is not None:
        worker.show_figures()
