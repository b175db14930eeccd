// {{name}}: a CRM connector. It may only reach the hosts listed under
// [capabilities] allowed-hosts in plugin.toml. Throw to report a failure.

import { log } from 'ringhost:plugin/host@0.1.1';

export const crm = {
  findContact(phoneNumber) {
    log('debug', `lookup ${phoneNumber}`);
    return undefined;
  },
  pushResult(attempt) {
    log('info', `${attempt.contactId} attempt ${attempt.attempt}: ${attempt.status}`);
  },
  pullContacts(campaign, cursor, max) {
    return { contacts: [], nextCursor: undefined };
  },
};
