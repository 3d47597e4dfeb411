/*
 * @title  a walk over every slot with <= instead of <: out of bounds
 * @memory-models sc
 * @thread walker
 * @expect sc no-out-of-bounds violated
 * @expect sc * holds
 */
#define NR_SLOTS 2
struct slot { int npages; };
struct slots { struct slot s[NR_SLOTS]; int used; };
struct slots arr = { .used = NR_SLOTS };

void walker(void)
{
	struct slots *p = &arr;
	int i, total = 0;
	for (i = 0; i <= NR_SLOTS; i++)
		total += p->s[i].npages;
	WRITE_ONCE(arr.used, total);
}
