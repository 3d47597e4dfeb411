/*
 * @title  a thread keeps a lock across synchronize_srcu and ends holding it
 * @description first takes the lock, waits for a grace period (no reader holds a section),
 *   and ends without unlocking: second, if it comes later, waits for the lock forever. Every
 *   waiting thread waits at a lock, so under tso and lkmm the deadlock is decided although the
 *   model calls synchronize_srcu (a wait there for good is what a weak model leaves
 *   undecided). UNLOCK=1: first unlocks; then no deadlock of lock waits exists, and no
 *   thread holds an srcu read section, so no grace period waits for good: `holds`.
 * @config UNLOCK=1
 * @memory-models sc
 * @thread first
 * @thread second
 * @expect sc no-deadlock violated
 * @expect sc no-lock-leak violated
 * @expect sc * holds
 * @expect sc UNLOCK=1 * holds
 */
#define UNLOCK 0
struct mutex m;
struct srcu_struct ss;

void first(void)
{
	mutex_lock(&m);
	synchronize_srcu(&ss);
#if UNLOCK
	mutex_unlock(&m);
#endif
}

void second(void)
{
	mutex_lock(&m);
	mutex_unlock(&m);
}
