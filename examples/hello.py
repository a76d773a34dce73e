# Run it on an endpoint: funcx run examples/hello.py --endpoint cloud
import platform
import time

for step in range(1, 4):
    print(f"working on step {step} of 3")
    time.sleep(0.5)

f"hello from {platform.node()} (Python {platform.python_version()})"
