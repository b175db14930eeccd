// {{name}}: a disposition mapper. It turns the raw result of an attempt into a status
// and says whether, and when, to try the contact again.

export const dispositions = {
  dispose(attempt) {
    const policy = attempt.policy;
    const waits = {
      'busy': ['BUSY', policy.waitBusyS],
      'no-answer': ['NOANSWER', policy.waitNoAnswerS],
      'congestion': ['CONGESTION', policy.waitCongestionS],
    };
    const [status, wait] = attempt.outcome === 'answered'
      ? ['ANSWERED', undefined]
      : (waits[attempt.outcome] ?? ['FAILED', policy.waitOtherS]);
    return {
      status,
      retry: wait !== undefined && attempt.attempt < policy.maxAttempts,
      retryAfterS: wait ?? 0,
      tags: attempt.tags,
      doNotCallUntilMs: undefined,
    };
  },
};
