/*
 * @title  an allocation failure that is not checked: NULL dereference
 * @memory-models sc
 * @thread t
 * @faults 1
 * @expect sc no-null-deref violated
 * @expect sc * holds
 */
struct obj { int val; };
struct obj *g;

void t(void)
{
	struct obj *o = kzalloc(sizeof(struct obj), GFP_KERNEL);
	o->val = 1;
	g = o;
}
