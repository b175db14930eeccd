// {{name}}: an IVR script. Each answered call gets a Session holding the contact's
// variables (the list's CSV columns, by header name); events in, actions out.

class Session {
  constructor(variables) {
    this.message = new Map(variables).get('message') ?? 'message';
  }

  onEvent(event) {
    switch (event.tag) {
      case 'answered':
        return [
          { tag: 'play', val: [this.message, 'press-1-to-confirm'] },
          { tag: 'collect', val: { maxDigits: 1, terminator: undefined, timeoutMs: 5000 } },
        ];
      case 'collected':
        return event.val === '1'
          ? [{ tag: 'confirm' }, { tag: 'hangup', val: 'CONFIRMED' }]
          : [{ tag: 'hangup', val: 'NOT_CONFIRMED' }];
      case 'timeout':
        return [{ tag: 'hangup', val: 'NOT_CONFIRMED' }];
      default:
        return [];
    }
  }
}

export const ivrSession = { Session };
