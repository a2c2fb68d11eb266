"""More of the demo's 城口县 sellers: the rest of the plan's eight products (mountain chicken, mushrooms,
herbs, cold-water fish, walnut and coarse grains), under the regional brand 大巴山硒谷.

Names are plausible, not the legal names of real firms; every description says it is demo data.
"""

from __future__ import annotations

from catalog.producers.models import LinkageMode, ProducerKind
from catalog.products.models import Category, QualityMarkKind, Unit
from shop.demo.specs import DEMO_NOTE, CertPlan, CertSpec, ProducerSpec, ProductSpec

CHENGKOU_CHICKEN = ProducerSpec(
    name="城口县明通镇山地鸡养殖专业合作社",
    kind=ProducerKind.COOPERATIVE,
    county_code="500229",
    township_code="500229105",  # 明通镇
    village_code=None,
    org_body="MA62H3M9",
    address="城口县明通镇 山地鸡林下养殖基地",
    contact_name="谭明华",
    description=(
        "社员在林下散养城口山地鸡，合作社统一供苗、防疫和回收，脱贫户代养按只结算并参与年底分红。" + DEMO_NOTE
    ),
    lifted_households=96,
    monitored_households=8,
    linkage_modes=(LinkageMode.ORDER_PURCHASE, LinkageMode.PROFIT_RETURN),
    logo_motif="chicken",
    logo_text="明通山地鸡",
    gs1_prefix="6973277",
    products=(
        ProductSpec(
            name="城口山地鸡",
            name_en="Chengkou mountain chicken",
            category=Category.POULTRY,
            unit=Unit.PIECE,
            net_weight_g=1500,
            price_fen=16800,
            description="林下散养一年以上，肉质紧实、汤色金黄，定点屠宰后整只冷冻。",
            motif="chicken",
            specification="整只 约 1.5 kg 冷冻",
            tiers=((20, 15800),),
            institution_moq=10,
            monthly_capacity=2000,
            is_cold_chain=True,
            brand="大巴山硒谷",
            gtin_item="80001",
            marks=((QualityMarkKind.GEOGRAPHICAL_INDICATION, "AGI01187"),),
            certificate=CertSpec(CertPlan.VALID, 50, 90),
        ),
        ProductSpec(
            name="城口山地鸡蛋",
            name_en="Chengkou mountain chicken eggs",
            category=Category.EGGS,
            unit=Unit.BOX,
            net_weight_g=1500,
            price_fen=6800,
            description="林下散养母鸡所产土鸡蛋，蛋黄橙红，珍珠棉托逐枚包装。",
            motif="egg",
            specification="30 枚/箱",
            tiers=((30, 6000),),
            institution_moq=10,
            monthly_capacity=3000,
            brand="大巴山硒谷",
            gtin_item="80002",
            certificate=CertSpec(CertPlan.VALID, 51, 90),
        ),
    ),
)

CHENGKOU_MUSHROOMS = ProducerSpec(
    name="城口县岚天乡食用菌种植有限公司",
    kind=ProducerKind.LEADING_ENTERPRISE,
    county_code="500229",
    township_code="500229219",  # 岚天乡
    village_code=None,
    org_body="MA62L5P1",
    address="城口县岚天乡 食用菌种植和烘干基地",
    contact_name="周国平",
    description=(
        "流转脱贫户土地建设菌棚，种植香菇和黑木耳，烘干车间优先雇用脱贫劳动力，"
        "获“大巴山硒谷”品牌授权。" + DEMO_NOTE
    ),
    lifted_households=118,
    monitored_households=10,
    linkage_modes=(LinkageMode.LAND_TRANSFER, LinkageMode.PRIORITY_EMPLOYMENT),
    logo_motif="mushroom",
    logo_text="岚天菌业",
    gs1_prefix="6973391",
    products=(
        ProductSpec(
            name="城口花菇",
            name_en="Chengkou dried shiitake",
            category=Category.MUSHROOMS,
            unit=Unit.BOX,
            net_weight_g=500,
            price_fen=5800,
            description="椴木栽培、冬季出菇的花菇，菌盖厚实、裂纹清晰，低温烘干，泡发后香味浓。",
            motif="mushroom",
            specification="干品 500 g/袋",
            tiers=((30, 5200),),
            institution_moq=10,
            monthly_capacity=2000,
            brand="大巴山硒谷",
            gtin_item="90001",
            certificate=CertSpec(CertPlan.VALID, 53, 120),
        ),
        ProductSpec(
            name="城口黑木耳",
            name_en="Chengkou black fungus",
            category=Category.MUSHROOMS,
            unit=Unit.BOX,
            net_weight_g=250,
            price_fen=4800,
            description="高山林区黑木耳，朵小肉厚，泡发率高，适合凉拌和炒菜。",
            motif="mushroom",
            specification="干品 250 g/袋",
            institution_moq=10,
            monthly_capacity=1500,
            brand="大巴山硒谷",
            gtin_item="90002",
            certificate=CertSpec(CertPlan.VALID, 54, 120),
        ),
    ),
)

CHENGKOU_HERBS = ProducerSpec(
    name="城口县巴山本草中药材种植有限公司",
    kind=ProducerKind.LEADING_ENTERPRISE,
    county_code="500229",
    township_code="500229104",  # 庙坝镇
    village_code=None,
    org_body="MA5UP2Q6",
    address="城口县庙坝镇 中药材种植基地",
    contact_name="蒋立新",
    description=(
        "在大巴山区种植党参和天麻，“企业+基地+脱贫户”订单收购鲜药材，加工利润按比例返还合作农户。" + DEMO_NOTE
    ),
    lifted_households=164,
    monitored_households=13,
    linkage_modes=(LinkageMode.ORDER_PURCHASE, LinkageMode.PROFIT_RETURN),
    logo_motif="root",
    logo_text="巴山本草",
    gs1_prefix="6973415",
    products=(
        ProductSpec(
            name="城口党参",
            name_en="Chengkou codonopsis root",
            category=Category.HERBS,
            unit=Unit.BOX,
            net_weight_g=500,
            price_fen=7800,
            description="三年生党参，根条粗壮、断面有菊花心，可煲汤、泡茶，药食两用。",
            motif="root",
            specification="干品 特级 500 g/盒",
            institution_moq=10,
            monthly_capacity=800,
            brand="大巴山硒谷",
            gtin_item="10001",
            certificate=CertSpec(CertPlan.VALID, 56, 60),
        ),
        ProductSpec(
            name="城口天麻",
            name_en="Chengkou gastrodia tuber",
            category=Category.HERBS,
            unit=Unit.BOX,
            net_weight_g=500,
            price_fen=15800,
            description="林下仿野生栽培的乌天麻，蒸制后低温烘干，切片炖汤。",
            motif="root",
            specification="干品 切片 500 g/盒",
            institution_moq=5,
            monthly_capacity=300,
            brand="大巴山硒谷",
            gtin_item="10002",
            certificate=CertSpec(CertPlan.EXPIRING, 57, 20),
        ),
    ),
)

CHENGKOU_FISH = ProducerSpec(
    name="城口县河鱼乡冷水鱼养殖家庭农场",
    kind=ProducerKind.FAMILY_FARM,
    county_code="500229",
    township_code="500229221",  # 河鱼乡
    village_code=None,
    org_body="MA5UR7T3",
    address="城口县河鱼乡 山泉流水养殖池",
    contact_name="陈学文",
    description="引山泉水流水养殖虹鳟和鲟鱼，雇用附近脱贫户管护鱼池。" + DEMO_NOTE,
    lifted_households=9,
    monitored_households=1,
    linkage_modes=(LinkageMode.PRIORITY_EMPLOYMENT,),
    logo_motif="fish",
    logo_text="河鱼",
    products=(
        ProductSpec(
            name="城口冷水虹鳟鱼",
            name_en="Chengkou cold-water rainbow trout",
            category=Category.AQUATIC,
            unit=Unit.KG,
            price_fen=6800,
            description="常年水温 16 °C 以下的山泉流水养殖，肉质细嫩，宰杀去鳞后冰鲜发运。",
            motif="fish",
            specification="冰鲜 宰杀处理 单尾 0.8–1.2 kg",
            institution_moq=20,
            monthly_capacity=1500,
            is_cold_chain=True,
            certificate=CertSpec(CertPlan.VALID, 58, 45),
        ),
    ),
)

CHENGKOU_VILLAGE = ProducerSpec(
    name="城口县咸宜镇明月村股份经济合作联合社",
    kind=ProducerKind.VILLAGE_COLLECTIVE,
    county_code="500229",
    township_code="500229110",  # 咸宜镇
    village_code="500229110211",  # 明月村
    org_body="MA5UT4W8",
    address="城口县咸宜镇明月村 村集体农产品加工点",
    contact_name="王大勇",
    description=(
        "村集体统一收购村民的核桃和玉米、荞麦、红豆等杂粮，分拣包装后销售，收益给脱贫户保底分红。" + DEMO_NOTE
    ),
    lifted_households=87,
    monitored_households=7,
    linkage_modes=(LinkageMode.ORDER_PURCHASE, LinkageMode.GUARANTEED_DIVIDEND),
    logo_motif="walnut",
    logo_text="明月村",
    gs1_prefix="6973529",
    products=(
        ProductSpec(
            name="城口核桃",
            name_en="Chengkou walnuts",
            category=Category.DRIED_FRUIT_NUTS,
            unit=Unit.BOX,
            net_weight_g=2000,
            price_fen=6800,
            description="大巴山高山核桃，壳薄仁香，白露后采收、自然晾干。",
            motif="walnut",
            specification="带壳 2 kg/箱",
            tiers=((20, 6200),),
            institution_moq=10,
            monthly_capacity=1500,
            brand="大巴山硒谷",
            gtin_item="10001",
            certificate=CertSpec(CertPlan.VALID, 59, 75),
        ),
        ProductSpec(
            name="城口杂粮礼盒",
            name_en="Chengkou coarse grains gift box",
            category=Category.GRAIN,
            unit=Unit.BOX,
            net_weight_g=2500,
            price_fen=8800,
            description="高山玉米糁、苦荞米、红豆、黄豆、小米五样杂粮，每样 500 g，适合工会慰问。",
            motif="grain",
            specification="5 种 × 500 g 礼盒",
            tiers=((30, 7900),),
            institution_moq=10,
            monthly_capacity=1000,
            brand="大巴山硒谷",
            gtin_item="10002",
            certificate=CertSpec(CertPlan.VALID, 60, 75),
        ),
    ),
)
