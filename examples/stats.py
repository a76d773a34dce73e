# Register it as a function: funcx register examples/stats.py --entrypoint mean


def mean(values):
    """The arithmetic mean of a list of numbers."""
    if not values:
        raise ValueError("mean() needs at least one value")
    return sum(values) / len(values)
