"""More of the demo's 疏勒县 sellers: melons, sheep and beef, millet and fennel, as the county's plan
lists them.

Names are plausible, not the legal names of real firms; every description says it is demo data.
"""

from __future__ import annotations

from catalog.producers.models import LinkageMode, ProducerKind
from catalog.products.models import Category, QualityMarkKind, Unit
from shop.demo.specs import DEMO_NOTE, CertPlan, CertSpec, ProducerSpec, ProductSpec

SHULE_MELONS = ProducerSpec(
    name="疏勒县巴仁乡瓜果种植农民专业合作社",
    kind=ProducerKind.COOPERATIVE,
    county_code="653122",
    township_code="653122200",  # 巴仁乡
    village_code=None,
    org_body="MA79B3C5",
    address="疏勒县巴仁乡 有机甜瓜种植基地",
    contact_name="艾尼瓦尔",
    description=(
        "合作社经营西瓜和有机甜瓜基地，社员按统一标准种植、分批采收，"
        "脱贫户以土地入股，按收购量和股份分红。" + DEMO_NOTE
    ),
    lifted_households=73,
    monitored_households=6,
    linkage_modes=(LinkageMode.EQUITY_COOPERATION, LinkageMode.ORDER_PURCHASE),
    logo_motif="watermelon",
    logo_text="巴仁瓜果",
    products=(
        ProductSpec(
            name="疏勒西瓜",
            name_en="Shule watermelons",
            category=Category.FRUIT,
            unit=Unit.KG,
            price_fen=360,
            description="沙壤土、昼夜温差大，西瓜皮薄瓤红、含糖量高，整瓜发货，单瓜 5 kg 以上。",
            motif="watermelon",
            specification="整瓜 单果 5 kg 以上",
            tiers=((500, 300),),
            institution_moq=200,
            monthly_capacity=60000,
            season=(6, 9),
            certificate=CertSpec(CertPlan.VALID, 8, 150),
        ),
        ProductSpec(
            name="疏勒有机甜瓜",
            name_en="Shule organic melons",
            category=Category.FRUIT,
            unit=Unit.BOX,
            net_weight_g=5000,
            price_fen=6800,
            description="有机甜瓜基地出产，网纹清晰、肉质脆甜，两只装礼箱，适合工会慰问。",
            motif="melon",
            specification="2 只装 礼箱 5 kg",
            tiers=((50, 6000),),
            institution_moq=20,
            monthly_capacity=3000,
            season=(7, 10),
            marks=((QualityMarkKind.ORGANIC, "227OP2300846"),),
            certificate=CertSpec(CertPlan.VALID, 9, 140),
        ),
    ),
)

SHULE_LIVESTOCK = ProducerSpec(
    name="疏勒县昆仑牧歌肉业有限公司",
    kind=ProducerKind.LEADING_ENTERPRISE,
    county_code="653122",
    township_code="653122204",  # 塔孜洪乡
    village_code=None,
    org_body="MA79D8F2",
    address="疏勒县塔孜洪乡 牛羊定点屠宰加工厂",
    contact_name="吐尔逊",
    description=(
        "向农户订单收购多浪羊、湖羊和肉牛，经产地检疫、定点屠宰检疫后分割冷冻，"
        "屠宰车间优先雇用脱贫劳动力，产品对口供应山东和独山子区。" + DEMO_NOTE
    ),
    lifted_households=208,
    monitored_households=15,
    linkage_modes=(LinkageMode.ORDER_PURCHASE, LinkageMode.PRIORITY_EMPLOYMENT),
    logo_motif="meat",
    logo_text="昆仑牧歌",
    gs1_prefix="6975842",
    products=(
        ProductSpec(
            name="疏勒多浪羊肉",
            name_en="Shule Dolan mutton",
            category=Category.MEAT,
            unit=Unit.KG,
            price_fen=8800,
            description="农户圈养的多浪羊，肉质细嫩、膻味轻，后腿和肩肉分割后真空冷冻。",
            motif="meat",
            specification="后腿/肩肉 分割 真空冷冻 1 kg/袋",
            tiers=((50, 8200), (200, 7800)),
            institution_moq=20,
            monthly_capacity=10000,
            is_cold_chain=True,
            gtin_item="10001",
            certificate=CertSpec(CertPlan.VALID, 10, 80),
        ),
        ProductSpec(
            name="疏勒羔羊排",
            name_en="Shule lamb ribs",
            category=Category.MEAT,
            unit=Unit.KG,
            price_fen=9800,
            description="当年羔羊肋排，适合烤制和手抓，整扇分切、冷冻发运。",
            motif="meat",
            specification="整扇分切 真空冷冻 1 kg/袋",
            tiers=((50, 9000),),
            institution_moq=20,
            monthly_capacity=4000,
            is_cold_chain=True,
            gtin_item="10002",
            certificate=CertSpec(CertPlan.VALID, 11, 80),
        ),
        ProductSpec(
            name="疏勒牛腱子肉",
            name_en="Shule beef shank",
            category=Category.MEAT,
            unit=Unit.KG,
            price_fen=9600,
            description="本地育肥肉牛的腱子肉，筋肉相间，卤制、炖煮都合适。",
            motif="meat",
            specification="排酸分割 真空冷冻 1 kg/袋",
            tiers=((50, 8800),),
            institution_moq=20,
            monthly_capacity=3000,
            is_cold_chain=True,
            gtin_item="10003",
            certificate=CertSpec(CertPlan.EXPIRING, 12, 18),
        ),
    ),
)

SHULE_VILLAGE = ProducerSpec(
    name="疏勒县塔尕尔其乡塔尕尔其村股份经济合作社",
    kind=ProducerKind.VILLAGE_COLLECTIVE,
    county_code="653122",
    township_code="653122207",  # 塔尕尔其乡
    village_code="653122207207",  # 塔尕尔其村
    org_body="MA7NB5W3",
    address="疏勒县塔尕尔其乡塔尕尔其村 村集体加工车间",
    contact_name="阿依古丽",
    description=(
        "村集体流转土地种植谷子和小茴香，统一晾晒、筛选、包装，收益按股分给村民，脱贫户保底分红。" + DEMO_NOTE
    ),
    lifted_households=126,
    monitored_households=11,
    linkage_modes=(LinkageMode.LAND_TRANSFER, LinkageMode.GUARANTEED_DIVIDEND),
    logo_motif="grain",
    logo_text="塔尕尔其",
    gs1_prefix="6975906",
    products=(
        ProductSpec(
            name="疏勒小米",
            name_en="Shule millet",
            category=Category.GRAIN,
            unit=Unit.BOX,
            net_weight_g=2500,
            price_fen=4800,
            description="旱地谷子碾制的黄小米，颗粒圆润，熬粥米油厚，真空小袋分装。",
            motif="grain",
            specification="500 g × 5 袋 真空包装",
            tiers=((50, 4200),),
            institution_moq=20,
            monthly_capacity=5000,
            gtin_item="10001",
            certificate=CertSpec(CertPlan.VALID, 14, 100),
        ),
        ProductSpec(
            name="疏勒小茴香",
            name_en="Shule fennel seed",
            category=Category.HERBS,
            unit=Unit.BOX,
            net_weight_g=250,
            price_fen=2800,
            description="秋季采收晾干的小茴香籽，香气浓郁，可作调味料，也可入药膳。",
            motif="herb",
            specification="罐装 250 g",
            institution_moq=10,
            monthly_capacity=2000,
            gtin_item="10002",
            certificate=CertSpec(CertPlan.VALID, 15, 100),
        ),
    ),
)

SHULE_CARROTS = ProductSpec(
    name="疏勒黄萝卜",
    name_en="Shule yellow carrots",
    category=Category.VEGETABLES,
    unit=Unit.KG,
    price_fen=240,
    description="新疆抓饭离不开的黄萝卜，质地脆甜，秋季采收后入窖，冬春供应。",
    motif="carrot",
    specification="鲜品 网袋 20 kg",
    tiers=((500, 200),),
    institution_moq=200,
    monthly_capacity=60000,
    season=(9, 3),
    brand="疏勒蔬菜",
    certificate=CertSpec(CertPlan.VALID, 16, 60),
)
