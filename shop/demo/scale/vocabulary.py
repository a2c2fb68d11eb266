"""Words the platform-size data is made of: the counties' real products, how sellers name and grade them,
place-name characters for the counties the region data does not hold, and people's names.

Product bases come from the three counties' own plans (COUNTY-FACTS: 疏勒 vegetables, melons, jujube,
walnut, black goji, mutton; 塔县 yak meat and jerky, snow chrysanthemum, maca, sea-buckthorn, highland
barley; 城口 cured pork, mountain chicken, honey, mushrooms, walnut, herbs, grains, cold-water fish) and
what formerly poor counties across China sell on the 832 platform (rice, tea, apples, oranges, kiwi…).
Sellers name a product by place + a word or two + the product, then a grade and a pack size, so the same
names recur across producers of a county, as they do on the real platform. No string here holds a tab,
newline or backslash (the PostgreSQL loader writes them unescaped).
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog.products.models import Category, Unit


@dataclass(frozen=True)
class Base:
    """A product as farmers sell it: Chinese and English name, category, unit, price per unit in fen."""

    name: str
    name_en: str
    category: Category
    unit: Unit
    price_fen: int
    #: Net weights (g) a packaged unit comes in; empty for kg/jin.
    packs: tuple[int, ...] = ()
    #: What buyers notice about it (the description's first words).
    features: str = ""


V, F, M, P, E, A = (
    Category.VEGETABLES,
    Category.FRUIT,
    Category.MEAT,
    Category.POULTRY,
    Category.EGGS,
    Category.AQUATIC,
)
D, G, MU, H, T, HE, PR = (
    Category.DRIED_FRUIT_NUTS,
    Category.GRAIN,
    Category.MUSHROOMS,
    Category.HONEY,
    Category.TEA,
    Category.HERBS,
    Category.PROCESSED,
)
KG, JIN, PIECE, BOX = Unit.KG, Unit.JIN, Unit.PIECE, Unit.BOX

#: What the three real counties sell (their plans), by division code.
COUNTY_BASES: dict[str, tuple[Base, ...]] = {
    "653122": (  # 疏勒县
        Base("辣椒", "chili peppers", V, KG, 680, features="皮薄肉厚、辣味适中"),
        Base("西红柿", "tomatoes", V, JIN, 280, features="沙瓤多汁、自然成熟"),
        Base("洋葱", "onions", V, KG, 260, features="紫皮耐储、辛香浓郁"),
        Base("茴香", "fennel", V, JIN, 450, features="香气浓郁、鲜嫩多汁"),
        Base("西瓜", "watermelon", F, KG, 380, features="皮薄瓤红、沙甜爽口"),
        Base("甜瓜", "melon", F, KG, 600, features="香甜脆爽、光照充足"),
        Base("骏枣", "Jun jujube", D, BOX, 9800, (1000, 2500, 5000), "个大肉厚、皮薄核小"),
        Base("灰枣", "grey jujube", D, BOX, 6800, (1000, 2000), "肉质紧实、甜度高"),
        Base("薄皮核桃", "thin-shell walnuts", D, BOX, 7600, (1000, 2000), "手捏即开、果仁饱满"),
        Base("黑枸杞", "black goji berries", D, BOX, 8800, (250, 500), "颗粒完整、冲泡呈蓝紫色"),
        Base("多浪羊肉", "Dolan mutton", M, KG, 9800, features="肉质细嫩、膻味轻"),
        Base("小米", "millet", G, BOX, 3600, (2500, 5000), "颗粒金黄、米油丰厚"),
    ),
    "653131": (  # 塔什库尔干塔吉克自治县
        Base("有机牦牛肉", "organic yak meat", M, KG, 12800, features="高原散养、肉质紧实"),
        Base("牦牛肉干", "yak jerky", PR, BOX, 8800, (250, 500), "风干手撕、越嚼越香"),
        Base("雪菊", "snow chrysanthemum tea", T, BOX, 6800, (50, 100, 250), "高原野生、汤色红亮"),
        Base("玛卡", "maca", HE, BOX, 16800, (250, 500), "帕米尔高原种植、切片晾干"),
        Base("沙棘", "sea-buckthorn", F, KG, 2800, features="果实饱满、酸甜适口"),
        Base("沙棘汁", "sea-buckthorn juice", PR, BOX, 9900, (2400, 3000), "鲜果压榨、无添加"),
        Base("青稞", "highland barley", G, BOX, 3200, (2500, 5000), "高原种植、营养丰富"),
        Base("杏干", "dried apricots", D, BOX, 4800, (500, 1000), "自然晾晒、酸甜软糯"),
        Base("石斛", "dendrobium", HE, BOX, 19800, (100, 250), "枝条饱满、胶质丰富"),
    ),
    "500229": (  # 城口县
        Base("老腊肉", "cured pork", M, KG, 13800, features="火炕柴火慢熏、肥而不腻"),
        Base("腊香肠", "cured sausage", PR, BOX, 7800, (500, 1000), "古法灌制、烟熏风干"),
        Base("山地鸡", "mountain chicken", P, PIECE, 16800, (1500, 2000), "林下散养、肉质紧实"),
        Base("土蜂蜜", "wild honey", H, PIECE, 8800, (500, 1000), "中华蜂百花蜜、自然成熟"),
        Base("核桃", "walnuts", D, BOX, 5800, (1000, 2000), "壳薄仁满、香味浓郁"),
        Base("香菇", "shiitake mushrooms", MU, BOX, 5600, (250, 500), "椴木栽培、肉厚味鲜"),
        Base("木耳", "wood-ear mushrooms", MU, BOX, 4800, (250, 500), "朵大肉厚、泡发率高"),
        Base("天麻", "gastrodia", HE, BOX, 15800, (250, 500), "林下仿野生种植"),
        Base("冷水鱼", "cold-water fish", A, KG, 6800, features="山泉水养殖、肉质细嫩"),
        Base("杂粮", "mixed grains", G, BOX, 4200, (2500, 5000), "高山种植、颗粒饱满"),
    ),
}

#: What other formerly poor counties sell: a synthetic county picks a handful of these as its specialities.
GENERAL_BASES: tuple[Base, ...] = (
    Base("土豆", "potatoes", V, KG, 320, features="粉糯香甜、耐储存"),
    Base("白菜", "Chinese cabbage", V, KG, 220, features="叶嫩帮脆、清甜爽口"),
    Base("胡萝卜", "carrots", V, KG, 300, features="色泽鲜亮、口感脆甜"),
    Base("莲藕", "lotus root", V, KG, 680, features="粉糯可口、孔大肉厚"),
    Base("竹笋", "bamboo shoots", V, KG, 980, features="鲜嫩脆爽、山野清香"),
    Base("山药", "Chinese yam", V, KG, 880, features="肉质细腻、粉糯绵甜"),
    Base("生姜", "ginger", V, KG, 760, features="辛辣浓郁、纤维少"),
    Base("苹果", "apples", F, BOX, 5800, (2500, 5000), "果面光洁、脆甜多汁"),
    Base("猕猴桃", "kiwi fruit", F, BOX, 6800, (2500, 5000), "酸甜适中、果肉细嫩"),
    Base("脐橙", "navel oranges", F, BOX, 5900, (2500, 5000), "果肉脆嫩、化渣多汁"),
    Base("石榴", "pomegranates", F, BOX, 6600, (2500, 5000), "籽粒饱满、汁多味甜"),
    Base("葡萄", "grapes", F, KG, 1600, features="果粒饱满、香甜多汁"),
    Base("黑猪肉", "black pork", M, KG, 6800, features="散养黑猪、肥瘦相间"),
    Base("牛肉", "beef", M, KG, 9800, features="草场放养、肉质鲜嫩"),
    Base("土鸡", "free-range chicken", P, PIECE, 12800, (1500, 2000), "林下散养、皮黄肉紧"),
    Base("麻鸭", "sheldrake duck", P, PIECE, 9800, (1500, 2000), "稻田放养、肉质细嫩"),
    Base("土鸡蛋", "free-range eggs", E, BOX, 4800, (1500, 3000), "林下散养、蛋黄橙红"),
    Base("鸭蛋", "duck eggs", E, BOX, 4200, (1500, 3000), "个大黄多、咸香起沙"),
    Base("稻花鱼", "rice-field carp", A, KG, 5800, features="稻田养殖、肉质细嫩"),
    Base("虹鳟鱼", "rainbow trout", A, KG, 7800, features="冷水养殖、肉质鲜美"),
    Base("红枣", "red jujube", D, BOX, 4800, (1000, 2500), "肉厚核小、甘甜软糯"),
    Base("板栗", "chestnuts", D, BOX, 3800, (1000, 2500), "个大饱满、香甜粉糯"),
    Base("葡萄干", "raisins", D, BOX, 3600, (500, 1000), "自然晾晒、果香浓郁"),
    Base("大米", "rice", G, BOX, 6800, (5000, 10000), "一年一季、米香浓郁"),
    Base("荞麦", "buckwheat", G, BOX, 3800, (2500, 5000), "高山种植、颗粒饱满"),
    Base("燕麦", "oats", G, BOX, 3600, (1000, 2500), "高寒种植、麦香浓郁"),
    Base("羊肚菌", "morels", MU, BOX, 26800, (100, 250), "菌盖饱满、香味浓郁"),
    Base("竹荪", "bamboo fungus", MU, BOX, 19800, (100, 250), "菌裙洁白、口感脆嫩"),
    Base("百花蜜", "wildflower honey", H, PIECE, 6800, (500, 1000), "百花酿造、自然成熟"),
    Base("槐花蜜", "acacia honey", H, PIECE, 7800, (500, 1000), "色泽清透、清香甜润"),
    Base("绿茶", "green tea", T, BOX, 12800, (250, 500), "明前采摘、香高味醇"),
    Base("红茶", "black tea", T, BOX, 9800, (250, 500), "汤色红艳、甜香浓郁"),
    Base("苦荞茶", "tartary buckwheat tea", T, BOX, 4800, (250, 500), "麦香浓郁、回味甘甜"),
    Base("党参", "codonopsis root", HE, BOX, 9800, (250, 500), "条粗质实、味甜"),
    Base("黄芪", "astragalus root", HE, BOX, 8800, (250, 500), "断面金黄、粉性足"),
    Base("菜籽油", "rapeseed oil", PR, PIECE, 6800, (2500, 5000), "古法压榨、菜香浓郁"),
    Base("红薯粉条", "sweet-potato vermicelli", PR, BOX, 3800, (1000, 2500), "手工晾晒、久煮不烂"),
    Base("辣椒酱", "chili sauce", PR, PIECE, 2800, (280, 500), "农家自制、香辣开胃"),
)

#: Words a seller puts before the product.
ADJECTIVES = (
    "",
    "",
    "",
    "有机",
    "生态",
    "高山",
    "农家",
    "散养",
    "精选",
    "原生态",
    "手工",
    "古法",
    "富硒",
    "正宗",
)
ADJECTIVES_EN = {
    "有机": "organic",
    "生态": "eco",
    "高山": "highland",
    "农家": "farm",
    "散养": "free-range",
    "精选": "selected",
    "原生态": "natural",
    "手工": "handmade",
    "古法": "traditional",
    "富硒": "selenium-rich",
    "正宗": "genuine",
}
#: Grades after the name.
GRADES = ("", "", "特级", "一级", "精品", "优选", "礼盒装", "家庭装")
#: Features for descriptions, by category (the base's own feature comes first).
CATEGORY_LINES = {
    V: "当日采摘、预冷后冷链发运，适合机关、学校食堂批量采购。",
    F: "产地直发，成熟后采摘，坏果包赔。",
    M: "定点屠宰、检疫合格，全程冷链配送。",
    P: "林下散养一年以上，定点屠宰、检疫合格。",
    E: "每日收集、清洁分级，破损包赔。",
    A: "活鱼现杀、真空包装，冷链发货。",
    D: "自然晾晒、分级挑选后装箱。",
    G: "当年新粮，低温仓储，真空包装。",
    MU: "自然晾干，无硫熏，泡发后肉厚味鲜。",
    H: "自然成熟封盖蜜，不浓缩、无添加。",
    T: "传统工艺制作，冲泡汤色清亮。",
    HE: "道地药材产区种植，晾晒切片后密封包装。",
    PR: "本地原料加工，执行国家食品安全标准。",
}

#: Characters place names are made of (synthetic counties, townships and villages).
PLACE_CHARS = (
    "安平宁远阳山河川江水城昌泰和丰兴德化云龙凤华林石清永长新南北东西中黄白青红金玉嘉广建武文临定靖通乐庆福寿"
    "富民泉溪峰岭湖沙宝盛兰秀康顺乡源田桥坪岗塘湾洲坝台关口桑柳松梅竹荷草木花樟桂杨柏茶岩"
)
#: Suffixes of synthetic regions.
PREFECTURE_SUFFIXES = ("市", "州", "地区", "市", "市")
COUNTY_SUFFIXES = ("县", "县", "县", "县", "自治县")
TOWNSHIP_SUFFIXES = ("镇", "镇", "乡")
VILLAGE_SUFFIX = "村"

#: Common surnames and given-name characters (contact names, recipients, display names).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢向"
)
GIVEN = "建国华明军伟芳娜秀英敏静丽强磊洋艳勇杰娟涛超霞平刚桂兰红玉梅林德永海春燕云飞志成文斌"
#: Names people of Xinjiang's counties go by (as in the demo data).
UYGHUR_NAMES = ("阿不都热合曼", "买买提江", "古丽娜尔", "热依拉", "艾尔肯", "阿依古丽", "努尔兰", "帕提古丽")

#: Words of enterprise and cooperative names.
ENTERPRISE_WORDS = ("农业科技", "食品", "果业", "生物科技", "农产品开发", "生态农业", "电子商务")
COOPERATIVE_WORDS = ("种植农民专业合作社", "养殖专业合作社", "农民专业合作社联合社")
#: Regional public brands of the three real counties (their plans), and brand words for the others.
REAL_BRANDS = {"653122": "疏勒蔬菜", "653131": "帕米尔高原", "500229": "大巴山硒谷"}
BRAND_SUFFIXES = ("山珍", "好物", "硒谷", "优品", "农品", "臻选")
#: Parcel carriers named in shipping events.
CARRIERS = ("顺丰速运", "中国邮政", "京东物流", "中通快递", "顺丰冷运")
CITY_SUFFIXES = ("市",)
DISTRICT_WORDS = ("区", "区", "县")
STREET_WORDS = ("路", "街", "大道")
REFUND_REASONS = ("商品破损", "与描述不符", "未按时送达", "买家协商退款", "部分缺货")
RECALL_REASONS = (
    "县级抽检农药残留超标，批次召回",
    "运输途中冷链中断，批次召回",
    "包装标签信息有误，批次召回",
    "抽检微生物指标超标，批次召回",
)
