"""Bodies of the devices routes (/v1/devices/{device_id}): a device's push token, for silent pushes."""

from typing import Annotated, Literal

from msgspec import Meta

from notes_core.contract.bodies.base import Request

Platform = Literal["fcm", "apns", "apns_sandbox"]


class RegisterDeviceRequest(Request):
    platform: Annotated[
        Platform,
        Meta(
            description="fcm: Firebase Cloud Messaging (Android, or iOS through FCM); apns: Apple's push service; "
            "apns_sandbox: Apple's sandbox (development builds)."
        ),
    ]
    token: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=4096,
            pattern=r"^[\x21-\x7e]+$",
            description="The device token the platform gave the app (FCM's registration token, APNs' device token "
            "in hexadecimal): printable ASCII without spaces.",
        ),
    ]
