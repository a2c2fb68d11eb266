"""The demo catalogue: sellers and products of the three counties, taken from their own 14th five-year plans.

Names are plausible, not the legal names of real firms; every organisation's description says it is demo data.
"""

from __future__ import annotations

from catalog.producers.models import LinkageMode, ProducerKind, ProducerStatus
from catalog.products.models import Category, QualityMarkKind, Unit
from shop.demo.chengkou import CHENGKOU_HONEY, CHENGKOU_PORK
from shop.demo.chengkou_farms import (
    CHENGKOU_CHICKEN,
    CHENGKOU_FISH,
    CHENGKOU_HERBS,
    CHENGKOU_MUSHROOMS,
    CHENGKOU_VILLAGE,
)
from shop.demo.shule import SHULE_CARROTS, SHULE_LIVESTOCK, SHULE_MELONS, SHULE_VILLAGE
from shop.demo.specs import (
    AUTHORITIES,
    DEMO_NOTE,
    CertPlan,
    CertSpec,
    ProducerSpec,
    ProductSpec,
)
from shop.demo.tashkurgan import (
    TASHKURGAN_APRICOTS,
    TASHKURGAN_BARLEY,
    TASHKURGAN_EMBROIDERY,
    TASHKURGAN_HIGHLAND,
    TASHKURGAN_YAK_RIBS,
)

__all__ = [
    "AUTHORITIES",
    "DEMO_NOTE",
    "DEMO_PRODUCERS",
    "CertPlan",
    "CertSpec",
    "ProducerSpec",
    "ProductSpec",
]


SHULE_VEGETABLES = ProducerSpec(
    name="疏勒县绿源蔬菜种植农民专业合作社",
    kind=ProducerKind.COOPERATIVE,
    county_code="653122",
    township_code="653122102",  # 牙甫泉镇
    village_code="653122102206",  # 加依托格拉克村
    org_body="MA78E5H1",
    address="疏勒县牙甫泉镇加依托格拉克村 设施蔬菜基地",
    contact_name="阿不都热合曼",
    description=(
        "合作社在牙甫泉镇经营百亩以上设施蔬菜基地，统一育苗、统一技术、统一收购，"
        "使用区域公用品牌“疏勒蔬菜”，对口供应山东援疆前指和独山子区机关食堂。" + DEMO_NOTE
    ),
    lifted_households=46,
    monitored_households=5,
    linkage_modes=(LinkageMode.ORDER_PURCHASE, LinkageMode.GUARANTEED_DIVIDEND),
    owner_email="producer@demo.bangfu.cn",
    logo_motif="leaf",
    logo_text="绿源",
    products=(
        ProductSpec(
            name="疏勒辣椒",
            name_en="Shule chili peppers",
            category=Category.VEGETABLES,
            unit=Unit.KG,
            price_fen=680,
            description="设施大棚种植的线椒，皮薄肉厚、辣味适中，当日采摘、预冷后冷链发运。",
            motif="pepper",
            specification="线椒 鲜品 10 kg/箱",
            tiers=((100, 600), (500, 540)),
            institution_moq=50,
            monthly_capacity=30000,
            season=(6, 10),
            is_cold_chain=True,
            brand="疏勒蔬菜",
            marks=((QualityMarkKind.GREEN_FOOD, "LB-15-24086512204A"),),
            certificate=CertSpec(CertPlan.VALID, 1, 40),
        ),
        ProductSpec(
            name="疏勒西红柿",
            name_en="Shule tomatoes",
            category=Category.VEGETABLES,
            unit=Unit.JIN,
            price_fen=280,
            description="沙壤土种植、自然成熟的西红柿，沙瓤多汁，适合机关、学校食堂批量采购。",
            motif="tomato",
            specification="鲜品 一级果",
            tiers=((200, 240),),
            institution_moq=100,
            monthly_capacity=60000,
            season=(6, 10),
            is_cold_chain=True,
            brand="疏勒蔬菜",
            certificate=CertSpec(CertPlan.VALID, 2, 40),
        ),
        ProductSpec(
            name="疏勒洋葱",
            name_en="Shule onions",
            category=Category.VEGETABLES,
            unit=Unit.KG,
            price_fen=260,
            description="紫皮洋葱，耐储运，秋季采收后入库，可供应至次年春季。",
            motif="onion",
            specification="紫皮 直径 7 cm 以上 网袋 20 kg",
            tiers=((500, 220),),
            institution_moq=200,
            monthly_capacity=80000,
            season=(8, 3),
            brand="疏勒蔬菜",
        ),
        SHULE_CARROTS,
    ),
)

SHULE_DRIED_FRUIT = ProducerSpec(
    name="疏勒县美蔬乐享果业有限公司",
    kind=ProducerKind.LEADING_ENTERPRISE,
    county_code="653122",
    township_code="653122100",  # 疏勒镇
    village_code=None,
    org_body="MA78G2K3",
    address="疏勒县疏勒镇 农副产品加工园区",
    contact_name="王建新",
    description=(
        "县级农业产业化龙头企业，以“企业+基地+脱贫户”方式收购骏枣、灰枣、核桃和黑枸杞，"
        "经分级、清洗、烘干后以“美蔬乐享”品牌装箱销售，吸纳脱贫劳动力在加工车间就业。" + DEMO_NOTE
    ),
    lifted_households=312,
    monitored_households=18,
    linkage_modes=(LinkageMode.ORDER_PURCHASE, LinkageMode.PRIORITY_EMPLOYMENT, LinkageMode.LAND_TRANSFER),
    logo_motif="jujube",
    logo_text="美蔬乐享",
    gs1_prefix="6975321",
    products=(
        ProductSpec(
            name="疏勒骏枣",
            name_en="Shule Jun jujube",
            category=Category.DRIED_FRUIT_NUTS,
            unit=Unit.BOX,
            net_weight_g=2500,
            price_fen=9800,
            description="南疆光照充足，骏枣个大肉厚、皮薄核小。自然晾晒，分级后装箱。",
            motif="jujube",
            specification="美蔬乐享 特级 2.5 kg/箱",
            tiers=((20, 8800), (100, 8200)),
            institution_moq=10,
            monthly_capacity=4000,
            brand="疏勒蔬菜",
            gtin_item="10001",
            marks=((QualityMarkKind.GREEN_FOOD, "LB-18-23126512031A"),),
            certificate=CertSpec(CertPlan.VALID, 5, 120),
        ),
        ProductSpec(
            name="疏勒灰枣",
            name_en="Shule grey jujube",
            category=Category.DRIED_FRUIT_NUTS,
            unit=Unit.BOX,
            net_weight_g=2000,
            price_fen=6800,
            description="灰枣果形小巧、肉质紧实、甜度高，适合即食和煲汤。",
            motif="jujube",
            specification="美蔬乐享 一级 2 kg/箱",
            tiers=((20, 6200),),
            institution_moq=10,
            monthly_capacity=3000,
            brand="疏勒蔬菜",
            gtin_item="10002",
            certificate=CertSpec(CertPlan.VALID, 6, 120),
        ),
        ProductSpec(
            name="疏勒薄皮核桃",
            name_en="Shule thin-shell walnuts",
            category=Category.DRIED_FRUIT_NUTS,
            unit=Unit.BOX,
            net_weight_g=2000,
            price_fen=7600,
            description="薄皮核桃，手捏即开，果仁饱满，秋季采收、自然晾干。",
            motif="walnut",
            specification="美蔬乐享 32 mm 以上 2 kg/箱",
            tiers=((20, 6900),),
            institution_moq=10,
            monthly_capacity=2500,
            brand="疏勒蔬菜",
            gtin_item="10003",
            certificate=CertSpec(CertPlan.VALID, 7, 90),
        ),
        ProductSpec(
            name="疏勒黑枸杞",
            name_en="Shule black goji berries",
            category=Category.DRIED_FRUIT_NUTS,
            unit=Unit.BOX,
            net_weight_g=250,
            price_fen=8800,
            description="野生驯化黑枸杞，颗粒完整，冲泡呈蓝紫色。",
            motif="berries",
            specification="美蔬乐享 特级 罐装 250 g",
            institution_moq=5,
            monthly_capacity=800,
            brand="疏勒蔬菜",
            gtin_item="10004",
            certificate=CertSpec(CertPlan.APPLIED, days=3),
        ),
    ),
)

SHULE_HOUSEHOLD = ProducerSpec(
    name="疏勒县吾斯塘博依村甜瓜种植户",
    kind=ProducerKind.HOUSEHOLD,
    county_code="653122",
    township_code="653122208",  # 艾尔木东乡
    village_code="653122208203",  # 吾斯塘博依村
    org_body=None,
    address="疏勒县艾尔木东乡吾斯塘博依村",
    contact_name="买买提江",
    contact_phone="13800138000",
    description="家庭种植甜瓜 12 亩，申请在平台直接销售。" + DEMO_NOTE,
    lifted_households=0,
    monitored_households=0,
    linkage_modes=(),
    status=ProducerStatus.PENDING,
    products=(
        ProductSpec(
            name="疏勒甜瓜",
            name_en="Shule melons",
            category=Category.FRUIT,
            unit=Unit.KG,
            price_fen=600,
            description="自家地里种的甜瓜，七月到九月成熟。",
            motif="melon",
            institution_moq=100,
            monthly_capacity=5000,
            season=(7, 9),
        ),
    ),
)

TASHKURGAN_YAK = ProducerSpec(
    name="塔什库尔干县帕米尔牧源牦牛产业有限公司",
    kind=ProducerKind.LEADING_ENTERPRISE,
    county_code="653131",
    township_code="653131200",  # 塔什库尔干乡
    village_code="653131200206",  # 爱民村
    org_body="MA7N4R2B",
    address="塔什库尔干塔吉克自治县塔什库尔干乡 牦牛定点屠宰加工厂",
    contact_name="古丽娜尔",
    description=(
        "“有机牦牛肉之乡”的牦牛屠宰加工企业，牧民散养的牦牛经产地检疫、定点屠宰检疫后排酸分割，"
        "全程冷链；通过订单收购和入股分红带动牧户增收，产品对口销往深圳福田。" + DEMO_NOTE
    ),
    lifted_households=185,
    monitored_households=12,
    linkage_modes=(
        LinkageMode.ORDER_PURCHASE,
        LinkageMode.EQUITY_COOPERATION,
        LinkageMode.PRIORITY_EMPLOYMENT,
    ),
    logo_motif="yak",
    logo_text="帕米尔",
    gs1_prefix="6974408",
    products=(
        ProductSpec(
            name="塔县有机牦牛肉",
            name_en="Tashkurgan organic yak meat",
            category=Category.MEAT,
            unit=Unit.KG,
            price_fen=12800,
            description="帕米尔高原天然草场放牧的牦牛，肉色深红、脂肪少，排酸分割后真空冷冻。",
            motif="yak",
            specification="排酸分割 真空冷冻 1 kg/袋",
            tiers=((50, 11800), (200, 11000)),
            institution_moq=20,
            monthly_capacity=8000,
            is_cold_chain=True,
            gtin_item="20001",
            marks=((QualityMarkKind.ORGANIC, "227OP2400318"),),
            certificate=CertSpec(CertPlan.VALID, 3, 60),
        ),
        ProductSpec(
            name="塔县有机牦牛肉干",
            name_en="Tashkurgan organic yak jerky",
            category=Category.PROCESSED,
            unit=Unit.BOX,
            net_weight_g=250,
            price_fen=8800,
            description="有机牦牛肉手撕风干，只加盐和孜然，开袋即食。",
            motif="yak",
            specification="原味 250 g/盒",
            tiers=((50, 7900),),
            institution_moq=20,
            monthly_capacity=5000,
            gtin_item="20002",
            marks=((QualityMarkKind.ORGANIC, "227OP2400319"),),
            certificate=CertSpec(CertPlan.VALID, 4, 60),
        ),
        TASHKURGAN_YAK_RIBS,
    ),
)

TASHKURGAN_TEA = ProducerSpec(
    name="塔什库尔干县塔合曼乡雪菊种植农民专业合作社",
    kind=ProducerKind.COOPERATIVE,
    county_code="653131",
    township_code="653131201",  # 塔合曼乡
    village_code="653131201200",  # 萨热拉村
    org_body="MA7P6C1E",
    address="塔什库尔干塔吉克自治县塔合曼乡萨热拉村",
    contact_name="热依拉",
    description=("海拔三千米以上种植昆仑雪菊，社员统一采摘、阴干和包装，按股分红并保底收购。" + DEMO_NOTE),
    lifted_households=64,
    monitored_households=7,
    linkage_modes=(LinkageMode.GUARANTEED_DIVIDEND, LinkageMode.EQUITY_COOPERATION),
    logo_motif="flower",
    logo_text="雪菊",
    gs1_prefix="6971937",
    products=(
        ProductSpec(
            name="帕米尔昆仑雪菊茶",
            name_en="Pamir snow chrysanthemum tea",
            category=Category.TEA,
            unit=Unit.BOX,
            net_weight_g=100,
            price_fen=6800,
            description="高原雪菊花蕾，冲泡汤色红亮，香气清雅。",
            motif="flower",
            specification="礼盒 100 g",
            tiers=((30, 5900),),
            institution_moq=10,
            monthly_capacity=1500,
            gtin_item="30001",
            certificate=CertSpec(CertPlan.EXPIRED, 11, 20),
        ),
        ProductSpec(
            name="塔县高原雪菊（散装）",
            name_en="Tashkurgan snow chrysanthemum, loose",
            category=Category.TEA,
            unit=Unit.JIN,
            price_fen=11800,
            description="当季采摘阴干的雪菊散装，适合单位工会批量采购后分装。",
            motif="flower",
            institution_moq=5,
            monthly_capacity=400,
            season=(8, 4),
        ),
    ),
)

DEMO_PRODUCERS: tuple[ProducerSpec, ...] = (
    SHULE_VEGETABLES,
    SHULE_DRIED_FRUIT,
    SHULE_HOUSEHOLD,
    TASHKURGAN_YAK,
    TASHKURGAN_TEA,
    CHENGKOU_PORK,
    CHENGKOU_HONEY,
    # added later, at the end: sellers' demo accounts (seller<NN>) are numbered in this order
    SHULE_MELONS,
    SHULE_LIVESTOCK,
    SHULE_VILLAGE,
    TASHKURGAN_HIGHLAND,
    TASHKURGAN_BARLEY,
    TASHKURGAN_APRICOTS,
    TASHKURGAN_EMBROIDERY,
    CHENGKOU_CHICKEN,
    CHENGKOU_MUSHROOMS,
    CHENGKOU_HERBS,
    CHENGKOU_FISH,
    CHENGKOU_VILLAGE,
)
