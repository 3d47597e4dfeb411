/*
 * @title  `if (r) break;` leaves only the slot loop: the next address space resets r (B5)
 * @description The reviewer's sketch in the seed: a failure in address space 0 breaks the
 *   inner loop, address space 1 succeeds and overwrites r with 0, and the flag is
 *   published although a slot of address space 0 has no rmap. FIX=1 is the fix: a failure
 *   leaves both loops (goto out), and the flag stays clear.
 * @config FIX=1
 * @memory-models sc
 * @thread vcpu
 * @thread reader
 * @faults 1
 * @expect sc rmaps-present violated
 * @expect sc * holds
 * @expect sc FIX=1 * holds
 */
#define NR_AS 2
#define NR_SLOTS 1
#define FIX 0
struct slot { int *rmap; };
struct slots { struct slot s[NR_SLOTS]; };
struct slots as_slots[NR_AS];
bool have_rmaps;

void vcpu(void)
{
	int as, i, r = 0;
	for (as = 0; as < NR_AS; as++) {
		for (i = 0; i < NR_SLOTS; i++) {
			r = 0;
			as_slots[as].s[i].rmap = kvcalloc(1, sizeof(int), GFP_KERNEL);
			if (!as_slots[as].s[i].rmap)
				r = -ENOMEM;
			if (r)
#if FIX
				goto out;
#else
				break;
#endif
		}
	}
#if FIX
out:
#endif
	if (!r)
		smp_store_release(&have_rmaps, true);
}

void reader(void)
{
	int as;
	if (!smp_load_acquire(&have_rmaps))
		return;
	for (as = 0; as < NR_AS; as++)
		assert_property("rmaps-present", as_slots[as].s[0].rmap != NULL);
}
