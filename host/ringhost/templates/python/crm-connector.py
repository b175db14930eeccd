"""{{name}}: a CRM connector. It may only reach the hosts listed under
[capabilities] allowed-hosts in plugin.toml. Raise componentize_py_types.Err(reason)
to report a failure."""

from typing import Optional

from wit_world import exports
from wit_world.exports import crm
from wit_world.imports import host


class Crm(exports.Crm):
    def find_contact(self, phone_number: str) -> Optional[crm.Contact]:
        host.log(host.Level.DEBUG, f"lookup {phone_number}")
        return None

    def push_result(self, attempt: crm.AttemptRecord) -> None:
        host.log(host.Level.INFO, f"{attempt.contact_id} attempt {attempt.attempt}: {attempt.status}")

    def pull_contacts(self, campaign: str, cursor: Optional[str], max: int) -> crm.Batch:
        return crm.Batch(contacts=[], next_cursor=None)
