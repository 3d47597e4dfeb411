/*
 * @title a grace period begun inside its own thread's srcu read section
 * @description The reader starts a grace period on the domain it reads under: the grace
 *   period waits for the reader's own section, which cannot end before the grace period does,
 *   so the thread never gets past synchronize_srcu (under sc a deadlock) and the assertion
 *   after it is never reached, under every memory model. With SECTION_ENDED=1 the section ends
 *   first, and the assertion fails under every model.
 * @config SECTION_ENDED=1
 * @memory-models sc
 * @thread reader
 * @expect sc SECTION_ENDED=1 past-gp violated
 * @expect sc SECTION_ENDED=1 * holds
 * @expect sc no-deadlock violated
 * @expect sc lock-order violated
 * @expect sc * holds
 */
#define SECTION_ENDED 0
struct srcu_struct ss;
int g;

void reader(void)
{
	int idx = srcu_read_lock(&ss);
#if SECTION_ENDED
	srcu_read_unlock(&ss, idx);
#endif
	synchronize_srcu(&ss);
	assert_property("past-gp", READ_ONCE(g) != 0);
#if !SECTION_ENDED
	srcu_read_unlock(&ss, idx);
#endif
}
