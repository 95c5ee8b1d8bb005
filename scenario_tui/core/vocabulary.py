"""The values of the wire format's enumerations that are known today.

Kept apart from the pydantic models so that the store and the screens can use them without
loading pydantic. A value not listed here is still accepted and shown as it came.
"""

FINAL_UPLOAD_STATUSES = frozenset({"imported", "failed"})
UPLOAD_KINDS = ("3d", "asset", "audio", "avatar", "image", "model", "text", "video")
FINAL_JOB_STATUSES = frozenset({"success", "failure", "canceled"})
