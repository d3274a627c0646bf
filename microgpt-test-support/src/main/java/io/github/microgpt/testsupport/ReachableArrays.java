package io.github.microgpt.testsupport;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The bytes of the arrays an object holds, found by walking its fields with reflection: what the
 * memory tests compare the library's estimates with (the examples' {@code ModelMemory}, the
 * scratch the Vector API kernels say they keep). It counts what is there, independently of the
 * library's own rule for an array's size ({@code ArrayBytes}), so that the two can disagree.
 *
 * <p>An array counts as HotSpot lays it out with compressed pointers (the tests' heaps are under
 * 32 GiB): a 16-byte header, then the elements (a reference takes 4 bytes), rounded up to 8.
 *
 * <p>The walk reads private fields ({@link Field#setAccessible}): in a module, the packages of
 * the objects it opens must be open to this class's module. Surefire opens the packages of a
 * module's tests to the class path, where this class is, so a module's tests can walk that
 * module's objects.
 */
public final class ReachableArrays {

    private ReachableArrays() {
    }

    /**
     * The bytes of every array reachable from {@code root}, each counted once (and none already in
     * {@code seen}, to which they are added). Arrays' elements are followed; of other objects, only
     * those {@code opens} accepts, through their instance fields (their superclasses' too) of a
     * non-primitive type that {@code follows} accepts.
     *
     * @param root where to start
     * @param opens the objects whose fields are followed
     * @param follows the fields followed
     * @param seen the objects counted already
     * @return the bytes of the arrays found
     * @throws IllegalAccessException if a field cannot be read
     */
    public static long bytes(Object root, Predicate<Object> opens, Predicate<Field> follows, Set<Object> seen)
            throws IllegalAccessException {
        Deque<Object> todo = new ArrayDeque<>();
        todo.push(root);
        long bytes = 0;
        while (!todo.isEmpty()) {
            Object object = todo.pop();
            if (!seen.add(object)) {
                continue;
            }
            Class<?> type = object.getClass();
            if (type.isArray()) {
                Class<?> element = type.getComponentType();
                int length = Array.getLength(object);
                bytes += arrayBytes(length, element);
                if (!element.isPrimitive()) {
                    for (int i = 0; i < length; i++) {
                        Object item = Array.get(object, i);
                        if (item != null) {
                            todo.push(item);
                        }
                    }
                }
                continue;
            }
            if (!opens.test(object)) {
                continue;
            }
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                for (Field field : c.getDeclaredFields()) {
                    if (Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive()
                            || !follows.test(field)) {
                        continue;
                    }
                    field.setAccessible(true);
                    Object value = field.get(object);
                    if (value != null) {
                        todo.push(value);
                    }
                }
            }
        }
        return bytes;
    }

    /**
     * The bytes of one array: a 16-byte header and the elements, rounded up to 8.
     *
     * @param length the elements
     * @param element the component type ({@code double.class}, or a class for references)
     * @return the bytes
     */
    public static long arrayBytes(int length, Class<?> element) {
        long size = 16 + (long) length * elementBytes(element);
        return (size + 7) / 8 * 8;
    }

    private static long elementBytes(Class<?> element) {
        if (element == double.class || element == long.class) {
            return 8;
        }
        if (element == float.class || element == int.class) {
            return 4;
        }
        if (element == short.class || element == char.class) {
            return 2;
        }
        if (element == byte.class || element == boolean.class) {
            return 1;
        }
        return 4;
    }
}
