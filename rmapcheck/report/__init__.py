"""Reports: verdict tables, counterexample traces and exports."""
