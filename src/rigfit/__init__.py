"""rigfit: will this model run on this hardware, and how well?"""

__version__ = "0.1.0"
