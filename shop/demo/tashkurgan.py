"""More of the demo's 塔什库尔干县 sellers: sea-buckthorn and maca, highland barley, apricots, and a Tajik
embroidery workshop, as the county's plan and its named firms' lines describe them.

Names are plausible, not the legal names of real firms; every description says it is demo data.
"""

from __future__ import annotations

from catalog.producers.models import LinkageMode, ProducerKind
from catalog.products.models import Category, QualityMarkKind, Unit
from shop.demo.specs import DEMO_NOTE, CertPlan, CertSpec, ProducerSpec, ProductSpec

TASHKURGAN_YAK_RIBS = ProductSpec(
    name="塔县牦牛排骨",
    name_en="Tashkurgan yak ribs",
    category=Category.MEAT,
    unit=Unit.KG,
    price_fen=9800,
    description="牦牛肋排，肉层厚实，适合清炖和红烧，定点屠宰后分切冷冻。",
    motif="meat",
    specification="分切 真空冷冻 1 kg/袋",
    tiers=((50, 9000),),
    institution_moq=20,
    monthly_capacity=3000,
    is_cold_chain=True,
    gtin_item="20003",
    marks=((QualityMarkKind.ORGANIC, "227OP2400320"),),
    certificate=CertSpec(CertPlan.VALID, 30, 60),
)

TASHKURGAN_HIGHLAND = ProducerSpec(
    name="塔什库尔干县慕士塔格高原生物科技有限公司",
    kind=ProducerKind.LEADING_ENTERPRISE,
    county_code="653131",
    township_code="653131100",  # 塔什库尔干镇
    village_code=None,
    org_body="MA7Q3H8X",
    address="塔什库尔干塔吉克自治县塔什库尔干镇 高原特色农产品加工园",
    contact_name="阿米娜",
    description=(
        "收购牧民采摘的野生沙棘和种植户的玛咖，加工沙棘原浆和玛咖片，"
        "以“企业+基地+脱贫户”订单收购，加工车间优先雇用脱贫劳动力。" + DEMO_NOTE
    ),
    lifted_households=142,
    monitored_households=9,
    linkage_modes=(LinkageMode.ORDER_PURCHASE, LinkageMode.PRIORITY_EMPLOYMENT),
    logo_motif="bottle",
    logo_text="慕士塔格",
    gs1_prefix="6974512",
    products=(
        ProductSpec(
            name="塔县沙棘原浆",
            name_en="Tashkurgan sea-buckthorn purée",
            category=Category.PROCESSED,
            unit=Unit.BOX,
            net_weight_g=3000,
            price_fen=12800,
            description="高原野生沙棘果压榨的原浆，不加水、不加糖，酸甜浓郁，开瓶冷藏。",
            motif="bottle",
            specification="300 ml × 10 瓶/箱",
            tiers=((30, 11500),),
            institution_moq=10,
            monthly_capacity=2000,
            gtin_item="60001",
            certificate=CertSpec(CertPlan.VALID, 31, 90),
        ),
        ProductSpec(
            name="帕米尔玛咖片",
            name_en="Pamir maca slices",
            category=Category.HERBS,
            unit=Unit.BOX,
            net_weight_g=250,
            price_fen=9800,
            description="高原种植的黄玛咖，切片低温烘干，可泡水、煲汤。",
            motif="root",
            specification="罐装 250 g",
            institution_moq=10,
            monthly_capacity=800,
            gtin_item="60002",
            certificate=CertSpec(CertPlan.VALID, 32, 90),
        ),
    ),
)

TASHKURGAN_BARLEY = ProducerSpec(
    name="塔什库尔干县提孜那甫乡青稞种植农民专业合作社",
    kind=ProducerKind.COOPERATIVE,
    county_code="653131",
    township_code="653131203",  # 提孜那甫乡
    village_code=None,
    org_body="MA7R6T1Y",
    address="塔什库尔干塔吉克自治县提孜那甫乡 青稞加工点",
    contact_name="米尔扎",
    description="社员在高海拔河谷种植青稞，合作社统一脱壳、磨粉和包装，保底价收购社员青稞。" + DEMO_NOTE,
    lifted_households=57,
    monitored_households=4,
    linkage_modes=(LinkageMode.ORDER_PURCHASE, LinkageMode.GUARANTEED_DIVIDEND),
    logo_motif="grain",
    logo_text="青稞",
    gs1_prefix="6971288",
    products=(
        ProductSpec(
            name="塔县青稞米",
            name_en="Tashkurgan highland barley",
            category=Category.GRAIN,
            unit=Unit.BOX,
            net_weight_g=2500,
            price_fen=5600,
            description="高原青稞脱壳而成，可与大米同煮，口感有嚼劲。",
            motif="grain",
            specification="500 g × 5 袋",
            tiers=((50, 5000),),
            institution_moq=20,
            monthly_capacity=3000,
            gtin_item="70001",
            certificate=CertSpec(CertPlan.VALID, 33, 110),
        ),
        ProductSpec(
            name="塔县青稞面粉",
            name_en="Tashkurgan highland barley flour",
            category=Category.GRAIN,
            unit=Unit.BOX,
            net_weight_g=2500,
            price_fen=4200,
            description="石磨青稞全麦粉，可做馕、糌粑和面条。",
            motif="grain",
            specification="2.5 kg/袋",
            tiers=((50, 3800),),
            institution_moq=20,
            monthly_capacity=3000,
            gtin_item="70002",
            certificate=CertSpec(CertPlan.VALID, 34, 110),
        ),
    ),
)

TASHKURGAN_APRICOTS = ProducerSpec(
    name="塔什库尔干县大同乡杏园家庭农场",
    kind=ProducerKind.FAMILY_FARM,
    county_code="653131",
    township_code="653131210",  # 大同乡
    village_code="653131210200",  # 阿依克日克村
    org_body="MA61C2J8",
    address="塔什库尔干塔吉克自治县大同乡阿依克日克村",
    contact_name="沙吾提",
    description="家庭农场经营百年杏园，杏子自然晒干、杏核手工取仁，雇用本村脱贫户采摘晾晒。" + DEMO_NOTE,
    lifted_households=12,
    monitored_households=2,
    linkage_modes=(LinkageMode.PRIORITY_EMPLOYMENT,),
    logo_motif="apricot",
    logo_text="大同杏园",
    products=(
        ProductSpec(
            name="塔县杏干",
            name_en="Tashkurgan dried apricots",
            category=Category.DRIED_FRUIT_NUTS,
            unit=Unit.BOX,
            net_weight_g=1000,
            price_fen=4800,
            description="高原杏子树上熟透后采摘，自然晾晒，不熏硫，酸甜有嚼劲。",
            motif="apricot",
            specification="1 kg/袋",
            tiers=((30, 4300),),
            institution_moq=10,
            monthly_capacity=1200,
            certificate=CertSpec(CertPlan.VALID, 35, 70),
        ),
        ProductSpec(
            name="塔县甜杏仁",
            name_en="Tashkurgan sweet apricot kernels",
            category=Category.DRIED_FRUIT_NUTS,
            unit=Unit.BOX,
            net_weight_g=500,
            price_fen=6800,
            description="手工砸核取出的甜杏仁，颗粒饱满，可生食、烘烤或打浆。",
            motif="apricot",
            specification="500 g/罐",
            institution_moq=10,
            monthly_capacity=500,
            certificate=CertSpec(CertPlan.EXPIRED, 36, 45),
        ),
    ),
)

TASHKURGAN_EMBROIDERY = ProducerSpec(
    name="塔什库尔干县塔合曼乡塔吉克刺绣帮扶车间",
    kind=ProducerKind.ASSISTANCE_WORKSHOP,
    county_code="653131",
    township_code="653131201",  # 塔合曼乡
    village_code="653131201202",  # 拜什库尔干村
    org_body="MA61E7K4",
    address="塔什库尔干塔吉克自治县塔合曼乡拜什库尔干村 刺绣车间",
    contact_name="布韦阿依",
    description="村里的妇女在家门口的车间绣制塔吉克传统纹样，按件计酬，农闲时也能带活回家做。" + DEMO_NOTE,
    lifted_households=38,
    monitored_households=3,
    linkage_modes=(LinkageMode.PRIORITY_EMPLOYMENT,),
    logo_motif="embroidery",
    logo_text="塔吉克刺绣",
    products=(
        ProductSpec(
            name="塔吉克刺绣抱枕套",
            name_en="Tajik embroidered cushion cover",
            category=Category.OTHER,
            unit=Unit.PIECE,
            net_weight_g=300,
            price_fen=16800,
            description="手工十字绣和锁边绣的塔吉克传统纹样，每件约需五天，图案各不相同。",
            motif="embroidery",
            specification="45 × 45 cm 不含枕芯",
            institution_moq=5,
            monthly_capacity=120,
            certificate=CertSpec(CertPlan.VALID, 37, 50),
        ),
        ProductSpec(
            name="塔吉克刺绣围巾",
            name_en="Tajik embroidered scarf",
            category=Category.OTHER,
            unit=Unit.PIECE,
            net_weight_g=200,
            price_fen=22800,
            description="羊毛围巾两端手工绣塔吉克花纹，礼盒包装。",
            motif="embroidery",
            specification="180 × 60 cm 礼盒装",
            institution_moq=5,
            monthly_capacity=60,
            certificate=CertSpec(CertPlan.APPLIED, days=6),
        ),
    ),
)
