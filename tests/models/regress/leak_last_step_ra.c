/*
 * @title  a leak made by the last step is a leak under ra too
 * @description The only reference to the object is overwritten by the thread's last
 *   store. Under ra the old message that still points to it is dropped in that same
 *   step; the reachability scan must look at what is kept, not at what is dropped.
 * @thread t
 * @memory-models sc ra
 * @expect sc no-leak violated
 * @expect ra no-leak violated
 * @expect sc * holds
 * @expect ra * holds
 */
int *p;

void t(void)
{
	p = kzalloc(sizeof(int), GFP_KERNEL);
	p = NULL;
}
