"""What the demo shop sells and how it ships: products, couriers, cities, promotions."""

from __future__ import annotations

from dataclasses import dataclass

DEVICE = "device"  # can fail to start, be repaired, have firmware
SMART = "smart"  # pairs with the app over Bluetooth / Wi-Fi
INSTALLED = "installed"  # a technician installs it at home
KITCHEN = "kitchen"
APPAREL = "apparel"  # textiles: quality issues (seams, colour, smell)
SIZED = "sized"  # comes in sizes: exchanged for another size


@dataclass(frozen=True)
class Product:
    name: str
    low: int  # price range in yuan
    high: int
    traits: frozenset[str]


def _product(name: str, low: int, high: int, *traits: str) -> Product:
    return Product(name, low, high, frozenset(traits))


PRODUCTS: tuple[Product, ...] = (
    _product("悦声无线降噪耳机 Pro", 399, 899, DEVICE, SMART),
    _product("星途智能手表 GT3", 899, 1599, DEVICE, SMART),
    _product("轻羽14英寸轻薄笔记本", 4299, 6999, DEVICE),
    _product("青禾平板电脑 11", 1999, 3299, DEVICE),
    _product("速充65W氮化镓充电器", 99, 169, DEVICE),
    _product("蓝鲸蓝牙音箱 Mini", 129, 299, DEVICE, SMART),
    _product("极光4K家用投影仪", 2499, 4999, DEVICE, SMART, INSTALLED),
    _product("灵犀智能门锁 S5", 1299, 2299, DEVICE, SMART, INSTALLED),
    _product("云眸家用摄像头", 199, 399, DEVICE, SMART),
    _product("活力智能手环 7", 229, 299, DEVICE, SMART),
    _product("清风空气净化器 X3", 1299, 2499, DEVICE, SMART),
    _product("小净扫拖一体机器人 S8", 1999, 3999, DEVICE, SMART),
    _product("暖阳石墨烯电暖器", 299, 599, DEVICE),
    _product("破壁料理机", 399, 899, DEVICE, KITCHEN),
    _product("5L空气炸锅", 299, 499, DEVICE, KITCHEN),
    _product("恒温电热水壶", 129, 199, DEVICE, KITCHEN),
    _product("洁净洗地机 T10", 1999, 2999, DEVICE),
    _product("声波电动牙刷 T5", 199, 399, DEVICE),
    _product("高速负离子吹风机", 299, 699, DEVICE),
    _product("即热式净饮机", 999, 1899, DEVICE, KITCHEN, INSTALLED),
    _product("静眠变频空调 1.5匹", 2599, 3999, DEVICE, SMART, INSTALLED),
    _product("燃气热水器 16L", 1699, 2999, DEVICE, INSTALLED),
    _product("轻暖鹅绒羽绒服", 499, 1299, APPAREL, SIZED),
    _product("男士免烫商务衬衫", 159, 299, APPAREL, SIZED),
    _product("双面羊绒大衣", 899, 1999, APPAREL, SIZED),
    _product("缓震跑步鞋", 399, 799, APPAREL, SIZED),
    _product("儿童运动套装", 199, 359, APPAREL, SIZED),
    _product("纯棉四件套", 299, 699, APPAREL),
    _product("泰国天然乳胶枕", 199, 399, APPAREL),
    _product("记忆棉床垫", 1599, 3599),
    _product("不锈钢保温杯", 99, 199),
    _product("有机婴幼儿奶粉3段", 268, 388),
    _product("每日坚果礼盒", 99, 199),
    _product("修护精华液 30ml", 399, 799),
)

# (courier, tracking-number prefix, digits after the prefix)
COURIERS: tuple[tuple[str, str, int], ...] = (
    ("顺丰速运", "SF", 13),
    ("中通快递", "78", 12),
    ("圆通速递", "YT", 13),
    ("韵达快递", "43", 13),
    ("京东物流", "JDVA", 11),
    ("申通快递", "77", 13),
    ("邮政EMS", "98", 11),
)

CITIES: tuple[str, ...] = (
    "武汉", "郑州", "长沙", "成都", "西安", "杭州", "广州", "沈阳", "济南", "合肥",
    "南昌", "石家庄", "重庆", "昆明", "南京", "苏州", "天津", "青岛", "东莞", "金华",
)  # fmt: skip

PROMOTIONS: tuple[str, ...] = ("会员日", "周年庆", "年中大促", "秋季焕新节", "品牌特卖日")

# Reasons a customer gives for a refund or return.
RETURN_REASONS: tuple[str, ...] = (
    "颜色和图片差别太大",
    "买重复了",
    "收到有明显划痕",
    "不想要了",
    "外包装破损",
    "功能和描述不符",
    "家里人已经买了",
)
SIZE_REASONS: tuple[str, ...] = ("尺码不合适", "穿上不合身", "鞋码偏小")

FAULTS: tuple[str, ...] = (
    "充满电后仍然无法开机",
    "按电源键没有任何反应",
    "开机后屏幕一直黑屏",
    "指示灯闪红灯后自动关机",
    "开机卡在启动画面",
)

# Hardware symptoms (software ones have scenarios of their own).
SYMPTOMS: tuple[str, ...] = (
    "充电充不进去",
    "运行时有很大的异响",
    "触摸按键没反应",
    "续航比宣传的短一半",
    "温度显示不准",
    "屏幕出现一条竖线",
    "用一会儿就烫得厉害",
)

QUALITY_ISSUES: tuple[str, ...] = (
    "开线了",
    "洗了一次就严重掉色",
    "有一股很重的异味",
    "做工粗糙，线头很多",
    "拉链坏了",
    "和之前买的质量差很多",
)

ERROR_CODES: tuple[str, ...] = ("E-1023", "E-2001", "E-3004", "E-4102", "E-5007")
APP_VERSIONS: tuple[str, ...] = ("5.2.1", "5.3.0", "5.3.2", "5.4.0")
