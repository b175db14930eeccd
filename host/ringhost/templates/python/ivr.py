"""{{name}}: an IVR script. Each answered call gets a session (the Session class in
ivr_session.py, where componentize-py looks for it) holding the contact's variables."""

from wit_world import exports


class IvrSession(exports.IvrSession):
    pass
