/*
 * @title  the fix: a failure leaves both loops (goto out), the flag stays clear
 * @memory-models sc
 * @thread vcpu
 * @thread reader
 * @faults 1
 * @expect sc * holds
 */
#define NR_AS 2
#define NR_SLOTS 1
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
				goto out;
		}
	}
out:
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
