/**
 * The one queue of changes to the system: every job that changes what runs (HAProxy, the
 * kernel's rules, keepalived, conntrackd) or the files that say what should run (the admin
 * state, the pair's settings) is one job here: ctl's enable, disable and drain, the UDP
 * checks' verdicts, the pair's admin state, SIGHUP and the pair's settings, start and stop.
 *
 * Invariants:
 * 1. One job at a time, in the order asked; a job starts once the one before it has ended,
 *    whatever its outcome.
 * 2. A job that fails leaves the system as it was: each job undoes its own part-way work
 *    (the reconciler's undo, agent/all-or-nothing.ts), so the next job starts from a whole state.
 * 3. A job never queues another job and waits for it (it would wait for itself): what a job
 *    needs done it calls directly. So the Reconciler has no queue of its own (the appliance's
 *    jobs and the agent's stop call it), and Appliance.reconfigure runs inside the agent's
 *    SIGHUP or pair-settings job.
 * 4. Reads (status, counters, /api/services) never queue: they see the state the last job left.
 */
export class ChangeQueue {
  #tail: Promise<unknown> = Promise.resolve()

  /** Runs `job` once every job asked before it has ended; resolves or rejects as it does. */
  run<T> (job: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(job)
    this.#tail = result.catch(() => undefined)
    return result
  }
}
