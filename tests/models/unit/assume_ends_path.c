/*
 * @title  a failed assumption ends its path, and a reduction must not let it end the others'
 * @description t0's only step assumes what never holds (x stays 0): every path on which t0
 *   takes it is cut there. t1 fails its assertion on its own, on the paths where t0 has not
 *   moved. The persistent reduction once expanded t0 alone at the first state (its step
 *   touches nothing t1 touches), so the search ended there and said holds; a transition
 *   that ends the execution (a failed assumption, a violation) now commutes with nothing
 *   (search.py), and tests/test_reduction.py finds the same verdict with every reduction.
 * @memory-models sc ra
 * @thread t0
 * @thread t1
 * @expect sc reached violated
 * @expect sc * holds
 * @expect ra reached violated
 * @expect ra * holds
 */
int x;
int y;

void t0(void)
{
	__VERIFIER_assume(READ_ONCE(x) == 1);
}

void t1(void)
{
	WRITE_ONCE(y, 1);
	assert_property("reached", READ_ONCE(y) == 0);
}
