from rmapcheck.cli import main

raise SystemExit(main())
