/*
 * @title  synchronize_srcu waits for the read sections that began before it, not later ones
 * @description early enters its read section before the grace period starts (it reads
 *   phase == 0) and stays in it until late has entered its own. The grace period must
 *   outlast early's section (gp-waits-for-earlier-readers holds), but not late's: late
 *   can enter after the grace period started and then see it end
 *   (gp-ignores-later-readers is violated; the trace shows the order).
 * @memory-models sc
 * @thread writer
 * @thread early
 * @thread late
 * @expect sc gp-ignores-later-readers violated
 * @expect sc * holds
 */
struct srcu_struct srcu;
int phase;
int gp_over;
int early_in;
int late_in;

void writer(void)
{
	WRITE_ONCE(phase, 1);
	synchronize_srcu(&srcu);
	WRITE_ONCE(gp_over, 1);
}

void early(void)
{
	int idx = srcu_read_lock(&srcu);
	__VERIFIER_assume(READ_ONCE(phase) == 0);
	WRITE_ONCE(early_in, 1);
	__VERIFIER_assume(READ_ONCE(late_in));
	assert_property("gp-waits-for-earlier-readers", !READ_ONCE(gp_over));
	srcu_read_unlock(&srcu, idx);
}

void late(void)
{
	int idx;
	__VERIFIER_assume(READ_ONCE(early_in));
	idx = srcu_read_lock(&srcu);
	WRITE_ONCE(late_in, 1);
	assert_property("gp-ignores-later-readers", !READ_ONCE(gp_over));
	srcu_read_unlock(&srcu, idx);
}
