// Package all registers every connector: import it for its side effect.
package all

import (
	_ "github.com/shuan-dev/shuan/source/files"    // files and directories
	_ "github.com/shuan-dev/shuan/source/mysql"    // MySQL, MariaDB
	_ "github.com/shuan-dev/shuan/source/postgres" // PostgreSQL, openGauss, KingbaseES
	_ "github.com/shuan-dev/shuan/source/sqlite"   // SQLite files
)
