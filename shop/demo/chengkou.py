"""The demo catalogue's 城口县 sellers: fire-pit cured pork and honey, from the county's own plan."""

from __future__ import annotations

from catalog.producers.models import LinkageMode, ProducerKind
from catalog.products.models import Category, QualityMarkKind, Unit
from shop.demo.specs import DEMO_NOTE, CertPlan, CertSpec, ProducerSpec, ProductSpec

CHENGKOU_PORK = ProducerSpec(
    name="城口县大巴山火炕腊肉食品有限公司",
    kind=ProducerKind.LEADING_ENTERPRISE,
    owner_email="producer.chengkou@demo.bangfu.cn",
    county_code="500229",
    township_code="500229110",  # 咸宜镇
    village_code="500229110209",  # 李坪村
    org_body="MA5UK3L7",
    address="城口县咸宜镇李坪村 腊肉加工厂",
    contact_name="向德明",
    description=(
        "按传统火炕工艺熏制城口老腊肉，生猪向脱贫户订单收购，获“大巴山硒谷”区域公用品牌授权，"
        "利润按比例返还合作农户，对口销往临沂和九龙坡。" + DEMO_NOTE
    ),
    lifted_households=230,
    monitored_households=21,
    linkage_modes=(LinkageMode.ORDER_PURCHASE, LinkageMode.PROFIT_RETURN, LinkageMode.PRIORITY_EMPLOYMENT),
    logo_motif="pork",
    logo_text="火炕腊肉",
    gs1_prefix="6973160",
    products=(
        ProductSpec(
            name="城口老腊肉",
            name_en="Chengkou fire-pit cured pork",
            category=Category.MEAT,
            unit=Unit.KG,
            price_fen=13600,
            description="农户散养生猪，盐腌后在火炕上以青冈柴慢熏四十天以上，肥而不腻、烟香浓郁。",
            motif="pork",
            specification="带皮五花/后腿 真空包装",
            tiers=((20, 12800), (100, 12000)),
            institution_moq=10,
            monthly_capacity=6000,
            season=(11, 5),
            brand="大巴山硒谷",
            marks=((QualityMarkKind.GEOGRAPHICAL_INDICATION, "AGI02461"),),
            certificate=CertSpec(CertPlan.VALID, 12, 30),
        ),
        ProductSpec(
            name="城口腊香肠",
            name_en="Chengkou smoked sausage",
            category=Category.PROCESSED,
            unit=Unit.BOX,
            net_weight_g=1000,
            price_fen=9800,
            description="土猪肉灌制、火炕熏烤的麻辣香肠。",
            motif="pork",
            specification="麻辣味 1 kg/盒",
            tiers=((20, 8800),),
            institution_moq=10,
            monthly_capacity=3000,
            season=(11, 5),
            brand="大巴山硒谷",
            gtin_item="40001",
            certificate=CertSpec(CertPlan.VALID, 13, 30),
        ),
        ProductSpec(
            name="城口腊排骨",
            name_en="Chengkou smoked pork ribs",
            category=Category.MEAT,
            unit=Unit.KG,
            price_fen=11800,
            description="带肉肋排腌制后火炕慢熏，炖土豆、煮火锅都香。",
            motif="pork",
            specification="整扇 真空包装",
            tiers=((20, 11000),),
            institution_moq=10,
            monthly_capacity=2500,
            season=(11, 5),
            brand="大巴山硒谷",
            gtin_item="40002",
            certificate=CertSpec(CertPlan.VALID, 14, 30),
        ),
    ),
)

CHENGKOU_HONEY = ProducerSpec(
    name="城口县岭楠中蜂养殖专业合作社",
    kind=ProducerKind.COOPERATIVE,
    county_code="500229",
    township_code="500229111",  # 高楠镇
    village_code="500229111203",  # 岭楠村
    org_body="MA60Q8D4",
    address="城口县高楠镇岭楠村",
    contact_name="刘永芳",
    description=(
        "社员在大巴山林下养殖中华蜜蜂，一年只取一次成熟蜜，合作社统一检测、灌装，"
        "使用“大巴山硒谷”品牌；脱贫户以蜂箱入股，保底分红。" + DEMO_NOTE
    ),
    lifted_households=58,
    monitored_households=9,
    linkage_modes=(LinkageMode.EQUITY_COOPERATION, LinkageMode.GUARANTEED_DIVIDEND),
    logo_motif="honey",
    logo_text="岭楠中蜂",
    gs1_prefix="6972285",
    products=(
        ProductSpec(
            name="城口土蜂蜜",
            name_en="Chengkou wild-flower honey",
            category=Category.HONEY,
            unit=Unit.PIECE,
            net_weight_g=500,
            price_fen=8800,
            description="中蜂百花成熟蜜，一年一取，结晶细腻。",
            motif="honey",
            specification="玻璃瓶 500 g",
            tiers=((24, 7800),),
            institution_moq=12,
            monthly_capacity=2000,
            brand="大巴山硒谷",
            gtin_item="50001",
            certificate=CertSpec(CertPlan.EXPIRING, 21, 7),
        ),
        ProductSpec(
            name="城口蜂蜜 双瓶礼盒",
            name_en="Chengkou honey gift box",
            category=Category.HONEY,
            unit=Unit.BOX,
            net_weight_g=1000,
            price_fen=16800,
            description="两瓶 500 g 中蜂百花蜜，附礼袋，适合工会慰问。",
            motif="honey",
            specification="500 g × 2 瓶",
            institution_moq=10,
            monthly_capacity=800,
            brand="大巴山硒谷",
            gtin_item="50002",
            certificate=CertSpec(CertPlan.VALID, 22, 150),
        ),
    ),
)
