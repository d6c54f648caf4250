-- A small plant database for the output golden files (scan_test.go).
CREATE TABLE hr_employee (id INTEGER PRIMARY KEY, xm TEXT, sfzh TEXT, lxdh TEXT, bm TEXT);
INSERT INTO hr_employee VALUES (1, '张伟', '11010119900307123X', '13800138000', '炼钢厂');
INSERT INTO hr_employee VALUES (2, '王芳', '310101198512120021', '13912345678', '热轧厂');
INSERT INTO hr_employee VALUES (3, '李娜', '440301199201015526', '13700001111', '质检部');
CREATE TABLE mes_process (id INTEGER PRIMARY KEY, gycs_wd REAL, yl REAL, sbbh TEXT);
INSERT INTO mes_process VALUES (1, 1530.5, 0.82, 'LF-01');
INSERT INTO mes_process VALUES (2, 1528.0, 0.80, 'LF-01');
CREATE TABLE sys_flag (id INTEGER PRIMARY KEY, enabled INTEGER);
INSERT INTO sys_flag VALUES (1, 1);
