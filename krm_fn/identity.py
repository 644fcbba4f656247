"""What a functionConfig of this function is called: its apiVersion and kind (SPEC 3.7).

The one home of the names: the pydantic models (``config.py``), the fast path that reads a
well-formed config without them (``settings.py``) and the generated docs all take them from here.
"""

API_VERSION = "fn.kserve-pvc.dev/v1alpha1"
KIND = "PvcMountPolicy"
