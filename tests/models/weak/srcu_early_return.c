/*
 * @title a reader returns from inside its srcu read section: synchronize_srcu waits for good
 * @description The classic missed unlock on an early return: reader leaves when it sees the
 *   updater's flag, without srcu_read_unlock. Under sc, if its section began before the grace
 *   period, updater waits in synchronize_srcu forever: a deadlock, and a lock leak. Under tso and
 *   lkmm the lock leak is decided; the wait is one whose grace period cannot be proved to end
 *   (lifetime.srcu_hang: a reader ends inside its section), so no-deadlock is `unsupported`,
 *   never `holds`. FIX=1 unlocks on that path too: no thread can stay in a section, no wait in
 *   synchronize_srcu can be for good, and no-deadlock holds under every memory model.
 * @config FIX=1
 * @memory-models sc ra
 * @thread reader
 * @thread updater
 * @expect sc no-deadlock violated
 * @expect sc no-lock-leak violated
 * @expect sc * holds
 * @expect sc FIX=1 * holds
 * @expect ra no-deadlock violated
 * @expect ra no-lock-leak violated
 * @expect ra * holds
 * @expect ra FIX=1 * holds
 */
#define FIX 0
struct srcu_struct ss;
int dying;
int data;

void reader(void)
{
	int idx = srcu_read_lock(&ss);

	if (READ_ONCE(dying)) {
#if FIX
		srcu_read_unlock(&ss, idx);
#endif
		return;
	}
	WRITE_ONCE(data, 1);
	srcu_read_unlock(&ss, idx);
}

void updater(void)
{
	WRITE_ONCE(dying, 1);
	synchronize_srcu(&ss);
	WRITE_ONCE(data, 0);
}
