"""`python -m tests.fakes`: run both fakes until Ctrl-C, to poke at them by hand."""

import time

from . import running_fake_bedrock, running_fake_openrouter

with running_fake_bedrock() as bedrock, running_fake_openrouter() as openrouter:
    for name, fake in (("bedrock", bedrock), ("openrouter", openrouter)):
        print(name, fake.url, " ".join(f"{key}={value}" for key, value in fake.env().items()), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
